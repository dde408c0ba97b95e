export { CloseCode, LiveSocket, textFrame, type LiveSocketOptions, type SocketRegistry, type Transport } from './live-socket.js';
export { createLiveEndpoint, type LiveEndpoint, type LiveEndpointOptions } from './live-endpoint.js';
export { createFrameParser, frame, type BaseFrame, type FrameParser, type FrameParserOptions, type ParsedFrame } from './frames.js';
export { LiveSocketErrors } from './errors.js';
export { LiveHub, type LocalSocket } from './live-hub.js';
export { applyInstanceNews, instanceNews, type InstanceNews } from './instances.js';
