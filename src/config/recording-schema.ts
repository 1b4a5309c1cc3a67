import { Type, type Static } from '@sinclair/typebox';

/**
 * Recording of the sample stream (samples, device status changes and device events) to compact files, for
 * back-testing rule changes and for bug reports. src/recording/format.ts describes the files;
 * src/recording/sample-recorder.ts what a crash can lose.
 */

const MIB = 1024 * 1024;

export const RecordingSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    dir: Type.String({
      minLength: 1,
      description: 'Directory of the recording files (created when missing). A relative path is taken from the working directory of the gateway process',
    }),
    maxFileBytes: Type.Integer({ minimum: 64 * 1024, default: 64 * MIB, description: 'A file is closed and a new one started before it would grow past this, bytes' }),
    maxFileAgeMinutes: Type.Integer({ minimum: 1, default: 60, description: 'A file is closed and a new one started once it has been open this long, minutes' }),
    keepFiles: Type.Optional(Type.Integer({ minimum: 1, description: 'Most files kept; the oldest are deleted past it' })),
    keepBytes: Type.Integer({ minimum: MIB, default: 2048 * MIB, description: 'Most bytes of recording files kept; the oldest files are deleted past it' }),
    blockRecords: Type.Integer({ minimum: 16, maximum: 1_000_000, default: 8192, description: 'Records buffered before a block is encoded and written' }),
    flushIntervalMs: Type.Integer({ minimum: 100, default: 10_000, description: 'Longest a record waits in memory before its block is written, ms: what a crash can lose' }),
    compression: Type.Union([Type.Literal('deflate'), Type.Literal('brotli'), Type.Literal('none')], {
      default: 'deflate',
      description: 'Per block; deflate is the balance of speed and size, brotli is smaller and slower to write',
    }),
    fsync: Type.Union([Type.Literal('block'), Type.Literal('file'), Type.Literal('never')], {
      default: 'file',
      description: 'block: fsync after every block (each written block survives a power cut); file: when a file is closed; never: leave it to the OS',
    }),
  },
  { additionalProperties: false, description: 'Records the sample stream to rotated, compressed files (for back-tests and bug reports)' },
);

export type RecordingConfig = Static<typeof RecordingSchema>;
