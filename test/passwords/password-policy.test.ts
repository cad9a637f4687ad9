import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMON_PASSWORDS } from '../../src/auth/passwords/common-passwords.js';
import { PASSWORD_MAX_LENGTH, checkNewPassword, codePointLength } from '../../src/auth/passwords/password-policy.js';

describe('password policy', () => {
  test('too short, counted in code points', () => {
    assert.match(checkNewPassword('short', 8) ?? '', /at least 8/);
    assert.equal(checkNewPassword('longenough', 8), undefined);
    // 7 emoji are 14 UTF-16 units but 7 characters: too short for 8.
    const seven = '🐈🐕🐟🐦🐍🐢🐇';
    assert.equal(seven.length, 14);
    assert.equal(codePointLength(seven), 7);
    assert.match(checkNewPassword(seven, 8) ?? '', /at least 8/);
    assert.equal(checkNewPassword(`${seven}🦔`, 8), undefined);
    assert.match(checkNewPassword('abcdefghijk', 12) ?? '', /at least 12/);
  });

  test('too long past 1024 characters; 1024 is fine, even in 4-byte characters', () => {
    assert.equal(PASSWORD_MAX_LENGTH, 1024);
    assert.equal(checkNewPassword('x'.repeat(1024), 8), undefined);
    assert.match(checkNewPassword('x'.repeat(1025), 8) ?? '', /at most 1024/);
    assert.equal(checkNewPassword('🔑'.repeat(1024), 8), undefined, '2048 UTF-16 units but 1024 characters');
    assert.match(checkNewPassword('🔑'.repeat(1025), 8) ?? '', /at most 1024/);
  });

  test('very common passwords are refused whatever their letter case', () => {
    assert.ok(COMMON_PASSWORDS.size >= 200, `only ${COMMON_PASSWORDS.size} entries`);
    for (const p of ['password', 'PASSWORD', 'Password1', 'qwerty123', 'iloveyou', '12345678', 'P@ssw0rd']) {
      assert.match(checkNewPassword(p, 8) ?? '', /too common/, p);
    }
    for (const entry of COMMON_PASSWORDS) assert.equal(entry, entry.toLowerCase(), `list entries are lower case: ${entry}`);
    assert.equal(checkNewPassword('correct horse battery staple', 8), undefined);
  });

  test('any Unicode is allowed; only-whitespace is not', () => {
    assert.equal(checkNewPassword('пароль-надёжный', 8), undefined);
    assert.equal(checkNewPassword('密码密码密码密码', 8), undefined);
    assert.match(checkNewPassword(' '.repeat(12), 8) ?? '', /spaces/);
  });
});
