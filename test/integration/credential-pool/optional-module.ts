/** Loads an optional devDependency, or says why it cannot, for a suite that skips with that reason. */

/** The module, or (when it cannot be imported) why. */
export interface OptionalModule<M> {
  module?: M;
  missing?: string;
}

/** Imports `name`; a module that is not installed gives the reason a skipped test will show. */
export async function optionalModule<M>(name: string): Promise<OptionalModule<M>> {
  try {
    // A specifier in a variable: TypeScript does not require the package to be installed.
    const specifier: string = name;
    return { module: (await import(specifier)) as M };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { missing: `${name} is not installed (a devDependency; npm install -D ${name.split("/")[0]}): ${reason}` };
  }
}
