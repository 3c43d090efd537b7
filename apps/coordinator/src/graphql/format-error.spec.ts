import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { AppError } from '../common/app-error';
import { formatGraphQLError } from './format-error';

function format(error: Error) {
  const wrapped = new GraphQLError(error.message, { originalError: error, path: ['submit'] });
  return formatGraphQLError(wrapped.toJSON(), wrapped);
}

describe('formatGraphQLError', () => {
  it('sends the code and the field at fault of an AppError', () => {
    expect(format(new AppError('FRAMES_OUT_OF_RANGE', 'frames 9-12 are outside 1-8', 'frames'))).toEqual({
      message: 'FRAMES_OUT_OF_RANGE: frames 9-12 are outside 1-8',
      path: ['submit'],
      extensions: { code: 'FRAMES_OUT_OF_RANGE', field: 'frames' },
    });
  });

  it("sends the lines at fault of a batch's rows, so clients can show each next to its line", () => {
    const lines = [
      { line: 3, message: 'missing "image"' },
      { line: 7, message: 'not JSON: "{"' },
    ];
    const formatted = format(new AppError('INVALID_ROWS', 'line 3: …; line 7: …', 'rows', lines));
    expect(formatted.extensions).toEqual({ code: 'INVALID_ROWS', field: 'rows', lines });
  });

  it('hides anything unexpected behind a generic message, and logs it', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const formatted = format(new Error('relation "jobs" does not exist'));
    expect(formatted.message).toBe('INTERNAL: unexpected error; it has been logged');
    expect(formatted.extensions).toEqual({ code: 'INTERNAL' });
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();
  });
});
