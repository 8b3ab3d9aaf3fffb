/** The dmasim version, from this package's manifest (bundled at build time). */
import manifest from "../package.json" with { type: "json" };

/** `0.1.0`. */
export const VERSION: string = manifest.version;
