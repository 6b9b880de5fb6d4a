/**
 * An answer's body, as bytes or as text: each is made from the other only when asked. The
 * Gnocchi collector reads its measures straight from the bytes (gnocchi/aggregates.ts), so the
 * hundreds of megabytes of a large run are never decoded into strings; errors and every other
 * reader take the text.
 */
import { decodeUtf8, jsonEscape } from '../model/text.js';

export class AnswerBody {
  private constructor(
    private bytesRead: Buffer | undefined,
    private textRead: string | undefined,
  ) {}

  static ofBytes(bytes: Buffer): AnswerBody {
    return new AnswerBody(bytes, undefined);
  }

  static ofText(text: string): AnswerBody {
    return new AnswerBody(undefined, text);
  }

  bytes(): Buffer {
    this.bytesRead ??= Buffer.from(this.textRead!, 'utf8');
    return this.bytesRead;
  }

  /**
   * UTF-8; a byte that is not part of valid UTF-8 reads `\\xNN`, so JSON around it stays JSON
   * (src/model/text.ts). Once decoded, the bytes are let go: a reader of the text (Ceilometer's
   * pages, kept while paging) would otherwise hold each answer twice. Bytes asked for after that
   * are the text's own UTF-8.
   */
  text(): string {
    if (this.textRead === undefined) {
      this.textRead = decodeUtf8(this.bytesRead!, jsonEscape);
      this.bytesRead = undefined;
    }
    return this.textRead;
  }
}
