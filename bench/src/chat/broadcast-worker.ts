// Child-process entry: a broadcast server without persistence, the peers of chat's fan-out row.
// `ws`: a bare `ws` server that sends each text it receives to every open socket (the limit for
// any Node server on `ws`); `socket.io`: a Socket.IO server (WebSocket transport only) emitting to
// a room that every client joined. Both acknowledge the sender after the broadcast. Sends its port
// to the parent; exits when the parent disconnects.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';

export type BroadcastKind = 'ws' | 'socket.io';
const ROOM = 'bench';
const ACK = '{"type":"message.ack"}';

const kind = JSON.parse(process.argv[2] ?? '"ws"') as BroadcastKind;
const server = createServer();

if (kind === 'ws') {
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 });
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      // The received bytes as they are, framed as text: nothing encoded per socket.
      for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(data, { binary: false });
      ws.send(ACK);
    });
  });
} else {
  const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 64 * 1024 });
  io.on('connection', (socket) => {
    void socket.join(ROOM);
    socket.on('send', (message: unknown, ack?: () => void) => {
      io.to(ROOM).emit('message.new', message);
      if (typeof ack === 'function') ack();
    });
  });
}

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
