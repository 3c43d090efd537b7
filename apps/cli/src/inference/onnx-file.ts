import { resolve } from 'node:path';
import { CliError } from '../cli-error';
import { checkLocalFile, readHead, showHead } from '../files/local-file';

/**
 * An ONNX model is a protobuf ModelProto, and every exporter writes its first field, ir_version
 * (field 1, varint), first: the file starts with byte 0x08. Anything else (a Git LFS pointer, an
 * HTML error page saved as .onnx, a zip) is refused before hundreds of megabytes are uploaded; the
 * coordinator opens the file with onnxruntime and has the last word (NOT_ONNX).
 */
export function looksLikeOnnx(head: Buffer): boolean {
  return head.length > 1 && head[0] === 0x08;
}

export interface OnnxFile {
  path: string;
  size: number;
  shown: string;
}

/** Checks that `shown` (relative to `cwd`) is a readable file that starts like an ONNX model. */
export async function checkOnnxFile(shown: string, cwd: string): Promise<OnnxFile> {
  const path = resolve(cwd, shown);
  const size = await checkLocalFile(path, shown, 'an ONNX model');
  const head = await readHead(path, 16).catch((error: Error) => {
    throw new CliError(`cannot read ${shown}: ${error.message}`);
  });
  if (!looksLikeOnnx(head)) {
    const lfs = head.toString('latin1').startsWith('version ');
    throw new CliError(
      `${shown} is not an ONNX model: it starts with ${showHead(head)}${lfs ? ' (a Git LFS pointer: run "git lfs pull")' : ', not a protobuf ModelProto'}`,
    );
  }
  return { path, size, shown };
}
