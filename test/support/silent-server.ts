/**
 * A TCP server that accepts connections and never answers: what a firewall that drops packets
 * after the handshake, a wedged proxy or a stopped (SIGSTOP) server look like to a client.
 */
import { createServer, type Server, type Socket } from "node:net";

/** A listening server that holds every connection open, silent, until {@link SilentServer.close}. */
export class SilentServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** How many connections it has accepted. */
  accepted = 0;

  private constructor(server: Server) {
    this.#server = server;
    server.on("connection", (socket) => {
      this.accepted++;
      this.#sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  /** Starts one on a free port of 127.0.0.1. */
  static async start(): Promise<SilentServer> {
    const silent = new SilentServer(createServer());
    await new Promise<void>((resolve, reject) => {
      silent.#server.once("error", reject);
      silent.#server.listen(0, "127.0.0.1", () => resolve());
    });
    return silent;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
