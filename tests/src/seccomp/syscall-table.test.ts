import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { MAX_KNOWN_SYSCALL_X86_64, SYSCALLS_X86_64, syscallNumberX86_64 } from '@podstage/seccomp';

test('well-known x86_64 numbers', () => {
  assert.is(syscallNumberX86_64('read'), 0);
  assert.is(syscallNumberX86_64('write'), 1);
  assert.is(syscallNumberX86_64('execve'), 59);
  assert.is(syscallNumberX86_64('exit_group'), 231);
  assert.is(syscallNumberX86_64('seccomp'), 317);
  assert.is(syscallNumberX86_64('mkdirat'), 258);
});

test('only own keys are syscalls', () => {
  assert.is(syscallNumberX86_64('constructor'), undefined);
  assert.is(syscallNumberX86_64('toString'), undefined);
  assert.is(syscallNumberX86_64('mkdirr'), undefined);
});

test('the table is a bijection up to the highest number', () => {
  const numbers = Object.values(SYSCALLS_X86_64);
  assert.ok(numbers.length > 350, `only ${numbers.length} syscalls`);
  assert.is(new Set(numbers).size, numbers.length, 'two names share a number');
  assert.is(Math.max(...numbers), MAX_KNOWN_SYSCALL_X86_64);
});

test.run();
