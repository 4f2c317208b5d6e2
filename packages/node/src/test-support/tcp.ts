/** Raw frames to a node's packet port, for tests. */
import { connect } from 'node:net';

/** Opens a TCP connection, writes the frames, half-closes it and resolves once the node closed it too. */
export function sendFrames(port: number, frames: readonly Uint8Array[], host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => {
      for (const f of frames) socket.write(f);
      socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
}
