export { eventually } from './eventually.js';
export { connect, openSocket, type Frame, type TestSocket } from './socket.js';
export { startTestSystem, variants, type TestInstance, type TestSystem, type TestSystemOptions, type Variant } from './system.js';
export { call, login, PASSWORD, promote, signUp, uniqueEmail, type TestUser } from './users.js';
