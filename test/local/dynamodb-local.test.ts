import { assertJava } from '../../local/dynamodb-local.js';

describe('assertJava', () => {
  it('fails fast with the install command when java is not on the PATH', () => {
    expect(() => assertJava({ ...process.env, PATH: '/nonexistent' })).toThrow(/needs Java 17\+.*apt-get install -y default-jre-headless/);
  });

  it('passes on this machine, which has Java 17+', () => {
    expect(() => assertJava()).not.toThrow();
  });
});
