/**
 * The texts of Vault's "Secret as a Service: Dynamic Secrets" guide that every walk through it
 * uses: the readonly role's SQL, the apps persona's policy and the admin persona's policy. Shared by
 * `npm run demo` and the tests that replay the guide, so they all run the guide's own words.
 *
 * @module
 */

/** The guide's `readonly.sql`: creation statements with `{{name}}`, `{{password}}`, `{{expiration}}`. */
export const READONLY_SQL = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;

/** The guide's `apps-policy.hcl`: read the readonly role's credentials, nothing else. */
export const APPS_POLICY = `
# Get credentials from the database secrets engine
path "database/creds/readonly" {
  capabilities = [ "read" ]
}`;

/** The guide's admin policy ("Policy requirements"): mounts, the database engine, policies, tokens. */
export const ADMIN_POLICY = `
# Mount secret engines
path "sys/mounts/*" { capabilities = [ "create", "read", "update", "delete", "list" ] }
# Configure the database secret engine and create roles
path "database/*" { capabilities = [ "create", "read", "update", "delete", "list" ] }
# Write ACL policies
path "sys/policy/*" { capabilities = [ "create", "read", "update", "delete", "list" ] }
# Manage tokens for verification
path "auth/token/create" { capabilities = [ "create", "read", "update", "delete", "list", "sudo" ] }
`;
