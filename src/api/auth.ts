import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiRole, AuthConfig } from '../config/alarm-management-schema.js';

/**
 * Bearer-token access to the API. A token belongs to a named user with one role; roles are ordered
 * (viewer < technician < admin) and a route names the least role it needs. The name is who the audit log
 * records. Tokens are kept only as SHA-256 digests, compared in constant time.
 */

export interface Principal {
  name: string;
  role: ApiRole;
}

const ROLE_RANK: Record<ApiRole, number> = { viewer: 0, technician: 1, admin: 2 };

export class HttpAuthError extends Error {
  readonly code: string;

  constructor(
    readonly statusCode: 401 | 403,
    message: string,
  ) {
    super(message);
    this.code = statusCode === 401 ? 'Unauthorized' : 'Forbidden';
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class TokenAuth {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(private readonly config: AuthConfig) {
    this.entries = config.tokens.flatMap((t) => {
      const digest = t.sha256 !== undefined ? Buffer.from(t.sha256, 'hex') : t.token !== undefined ? sha256(t.token) : undefined;
      return digest === undefined ? [] : [{ digest, principal: { name: t.name, role: t.role } }];
    });
  }

  get anonymousRead(): boolean {
    return this.config.anonymousRead;
  }

  /** The principal of a request's bearer token; undefined without a token; throws 401 for an unknown one. */
  identify(request: FastifyRequest): Principal | undefined {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) throw new HttpAuthError(401, 'Authorization must be "Bearer <token>"');
    const digest = sha256(match[1]);
    // Every entry is compared, so the time taken does not tell which one matched.
    let found: Principal | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest)) found = e.principal;
    if (found === undefined) throw new HttpAuthError(401, 'unknown or revoked token');
    return found;
  }

  /** A preHandler that lets through requests whose token has at least `role`; 401 without a token, 403 below it. */
  require(role: ApiRole): (request: FastifyRequest) => Promise<void> {
    return async (request) => {
      const principal = this.identify(request);
      if (principal === undefined) {
        if (role === 'viewer' && this.config.anonymousRead) return;
        throw new HttpAuthError(401, `a bearer token with role ${role} or higher is needed`);
      }
      if (ROLE_RANK[principal.role] < ROLE_RANK[role]) {
        throw new HttpAuthError(403, `${principal.name} has role ${principal.role}; this needs ${role} or higher`);
      }
      request.principal = principal;
    };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, set by TokenAuth.require. */
    principal?: Principal;
  }
}
