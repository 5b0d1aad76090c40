/** Node fs errors carry an errno `code`; these helpers keep the checks readable and `any`-free. */

export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** True for "the file (or a parent directory) does not exist". */
export function isNotFoundError(error: unknown): boolean {
  const code = errnoCode(error);
  // ENOTDIR: a path component is a regular file, so the target cannot exist either.
  return code === "ENOENT" || code === "ENOTDIR";
}
