import { SwitchyardError } from '@switchyard/stream';

/**
 * The parts of @matrixai/quic this package uses, typed structurally so that
 * the published .d.ts never mentions the optional peer dependency.
 */
// `any` on purpose: the library's classes are used through a narrow, checked surface
export type QuicModule = { QUICServer: any; QUICClient: any };

export type QuicImporter = () => Promise<unknown>;

// A variable specifier keeps bundlers from resolving the optional peer at build time,
// and `import()` (not require) is the only way to load an ESM-only package from CJS too.
const SPECIFIER = '@matrixai/quic';
const defaultImporter: QuicImporter = () => import(/* @vite-ignore */ SPECIFIER);

let cached: Promise<QuicModule> | undefined;

/**
 * Loads @matrixai/quic on first use. When it is missing (it is an optional
 * peer dependency) the error says what to install instead of a bare
 * "Cannot find package".
 */
export function loadQuic(importer?: QuicImporter): Promise<QuicModule> {
  if (importer === undefined && cached) return cached;
  const p = (importer ?? defaultImporter)().then(
    (mod) => {
      const m = mod as Partial<QuicModule> | undefined;
      if (typeof m?.QUICServer !== 'function' || typeof m?.QUICClient !== 'function') {
        throw new SwitchyardError(
          'FAILED_PRECONDITION',
          '@switchyard/quic: the installed @matrixai/quic does not export QUICServer/QUICClient; install @matrixai/quic@^2.0.9',
        );
      }
      return m as QuicModule;
    },
    (error: unknown) => {
      const detail = error instanceof Error ? error.message : String(error);
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `@switchyard/quic needs the optional peer dependency @matrixai/quic (^2.0.9), which could not be loaded: install it with \`pnpm add @matrixai/quic@^2.0.9\` (or npm i). Cause: ${detail}`,
        { cause: error },
      );
    },
  );
  if (importer === undefined) {
    cached = p;
    // A failed load may be fixed by installing the package: do not cache failures.
    p.catch(() => {
      if (cached === p) cached = undefined;
    });
  }
  return p;
}
