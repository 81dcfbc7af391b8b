import * as bcrypt from "bcryptjs";

/**
 * One htpasswd line (bcrypt, the only scheme distribution accepts). The salt is given, not drawn,
 * so the same password and salt always render the same line: no churn on every `pulumi up`.
 * `salt22` is 22 characters of [./A-Za-z0-9] (e.g. a stable RandomPassword without specials).
 */
export function htpasswdLine(user: string, password: string, salt22: string, cost = 10): string {
  if (!/^[./A-Za-z0-9]{22}$/.test(salt22)) throw new Error("htpasswd salt must be 22 characters of [./A-Za-z0-9]");
  if (user.includes(":")) throw new Error("htpasswd user names cannot contain ':'");
  const salt = `$2y$${String(cost).padStart(2, "0")}$${salt22}`;
  return `${user}:${bcrypt.hashSync(password, salt)}`;
}

export function htpasswdMatches(line: string, user: string, password: string): boolean {
  const [u, hash] = line.split(":", 2);
  return u === user && hash !== undefined && bcrypt.compareSync(password, hash);
}
