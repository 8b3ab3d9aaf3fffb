/**
 * Kernel error numbers as data. A kernel function that fails returns a negative errno (`-EPROBE_DEFER` is -517);
 * the model returns the same numbers, never throws them.
 *
 * @see include/uapi/asm-generic/errno-base.h
 * @see include/linux/errno.h EPROBE_DEFER
 */
import { err, ok, type Result } from "./result";

/**
 * The errno values the model uses, as positive numbers like the C `#define`s; kernel functions return them negated.
 *
 * @see include/uapi/asm-generic/errno-base.h
 * @see include/uapi/asm-generic/errno.h ENOSYS, EOPNOTSUPP, ETIMEDOUT
 * @see include/linux/errno.h EPROBE_DEFER (517, kernel-internal)
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  EPROBE_DEFER: 517,
} as const;

/**
 * The name of an errno in {@link Errno}, e.g. `"EPROBE_DEFER"`.
 *
 * @see include/uapi/asm-generic/errno-base.h
 */
export type ErrnoName = keyof typeof Errno;

/** One of the positive values of {@link Errno}. */
export type Errno = (typeof Errno)[ErrnoName];

const NAME_BY_VALUE: ReadonlyMap<number, ErrnoName> = new Map(
  (Object.keys(Errno) as ErrnoName[]).map((name) => [Errno[name], name] as const),
);

/**
 * Names a kernel return value: `errnoName(-517) === "-EPROBE_DEFER"`, `errnoName(0) === "0"`, an unknown negative
 * value prints as its number (`"-9999"`). A positive known errno (the modern `really_probe` returns probe errors
 * positive) prints without the sign (`"EPROBE_DEFER"`); other positive values print as numbers.
 *
 * @see drivers/base/dd.c really_probe ("Return probe errors as positive values")
 */
export function errnoName(ret: number): string {
  if (ret === 0 || !Number.isInteger(ret)) return String(ret);
  const name = NAME_BY_VALUE.get(Math.abs(ret));
  if (name === undefined) return String(ret);
  return ret < 0 ? `-${name}` : name;
}

/** Why {@link parseErrno} rejected its input. */
export interface ParseErrnoError {
  readonly input: string;
  readonly message: string;
}

const INTEGER_RE = /^[+-]?\d{1,10}$/;

/**
 * Parses an errno written as in scenario files and kernel logs: `"-EPROBE_DEFER"`, `"EPROBE_DEFER"` (a name means
 * the negative return value), `"0"`, `"-22"`. Positive numbers are rejected (errnos are returned negative).
 */
export function parseErrno(input: string): Result<number, ParseErrnoError> {
  const s = input.trim();
  if (s.length === 0) return err({ input, message: "empty errno" });
  if (INTEGER_RE.test(s)) {
    const n = Number(s);
    if (n > 0) return err({ input, message: `positive value ${n}: kernel errors are negative numbers` });
    return ok(n === 0 ? 0 : n);
  }
  const name = s.startsWith("-") ? s.slice(1) : s;
  if (Object.prototype.hasOwnProperty.call(Errno, name)) return ok(-Errno[name as ErrnoName]);
  return err({ input, message: `unknown errno name "${name}"` });
}

/**
 * A bug in the model itself (a broken invariant of the simulator, misuse of its API), never a modelled kernel
 * outcome. Kernel outcomes are errno numbers or result unions.
 */
export class KernelError extends Error {
  /** A short machine-readable code, e.g. `"double-register"`. */
  readonly code: string;
  /** Names of the objects involved, for the message reader. */
  readonly context: Readonly<Record<string, string | number | boolean | null>>;

  constructor(
    code: string,
    message: string,
    context: Readonly<Record<string, string | number | boolean | null>> = {},
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = "KernelError";
    this.code = code;
    this.context = context;
  }
}

/** Normalises anything thrown into a {@link KernelError} (code `"unexpected"` unless it already is one). */
export function toKernelError(thrown: unknown): KernelError {
  if (thrown instanceof KernelError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new KernelError("unexpected", message, {}, { cause: thrown });
}
