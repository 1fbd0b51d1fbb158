/**
 * The key under which a segment trie files a node's literal edges and partials in the tables all
 * nodes share (see `segment-trie.ts`).
 *
 * A module of its own so that tests can replace it with one that makes every key collide, and
 * prove that each hit is confirmed against its node and its text.
 *
 * @module
 */
import { HASH_MASK } from "./path-hash.js";

/** The 30-bit key of the edge or partial with text hash `hash` out of trie node `node`. */
export function edgeKey(node: number, hash: number): number {
  // Mixing in the node spreads the many nodes that have an edge of the same name across the table.
  return (Math.imul(node, 0x2c1b3c6d) + hash) & HASH_MASK;
}
