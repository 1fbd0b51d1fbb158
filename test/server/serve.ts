/**
 * Starts the example Vault HTTP server on a loopback port for one test.
 */
import type { AddressInfo } from "node:net";
import type { Engine } from "../../src/index.js";
import { createVaultHttpServer, type VaultHttpServerOptions } from "../../examples/vault-http-server.js";

/** A running example server: its base address (`http://127.0.0.1:<port>`) and how to stop it. */
export interface RunningServer {
  readonly address: string;
  close(): Promise<void>;
}

/** Serves `engine` on 127.0.0.1 and an ephemeral port. */
export async function serveOnLoopback(engine: Engine, options?: VaultHttpServerOptions): Promise<RunningServer> {
  const server = createVaultHttpServer(engine, options);
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
