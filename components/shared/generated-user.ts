import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { htpasswdLine } from "./htpasswd";

export interface GeneratedHtpasswdUser {
  /** Secret. */
  password: pulumi.Output<string>;
  /** The user's htpasswd line (bcrypt); secret. */
  line: pulumi.Output<string>;
}

/**
 * A generated password and its htpasswd line for `user`, both kept in state: the bcrypt salt is a
 * stable generated salt (a RandomPassword, so nothing of it is in clear in state), so the line (and whatever mounts it) only changes when the password does.
 * Resources are named `<prefix>-password` and `<prefix>-htpasswd-salt`.
 */
export function generatedHtpasswdUser(prefix: string, user: string, parent: pulumi.Resource, length = 32): GeneratedHtpasswdUser {
  const password = new random.RandomPassword(`${prefix}-password`, { length, special: false }, { parent });
  // The salt is part of the htpasswd hash (a credential): secret in state like the password, and a
  // RandomPassword because a RandomString's ID is its value, in clear (see harbor/secrets.ts).
  const salt = new random.RandomPassword(`${prefix}-htpasswd-salt`, { length: 22, special: false }, { parent });
  return {
    password: pulumi.secret(password.result),
    line: pulumi.secret(pulumi.all([password.result, salt.result]).apply(([pw, s]) => htpasswdLine(user, pw, s))),
  };
}
