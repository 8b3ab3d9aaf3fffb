/**
 * Property tests are deterministic: fast-check draws from one fixed seed unless FC_SEED asks for another (to hunt
 * for new counterexamples: `FC_SEED=$RANDOM pnpm test`). A failure prints the seed and path to replay it.
 */
import fc from "fast-check";

const seed = process.env.FC_SEED === undefined ? 0x5eed : Number(process.env.FC_SEED);
fc.configureGlobal({ seed });
