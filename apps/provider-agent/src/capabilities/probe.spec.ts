import { imageTags } from './probe';

describe('imageTags', () => {
  it('lists every tag once, sorted, without dangling <none> tags', () => {
    expect(
      imageTags([
        { RepoTags: ['tessera/toolbox:1', 'tessera/toolbox:latest'] },
        { RepoTags: ['<none>:<none>'] },
        { RepoTags: null },
        {},
        { RepoTags: ['debian:bookworm-slim', 'tessera/toolbox:1'] },
      ]),
    ).toEqual(['debian:bookworm-slim', 'tessera/toolbox:1', 'tessera/toolbox:latest']);
  });
});
