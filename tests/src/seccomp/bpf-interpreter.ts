/**
 * Just enough classic BPF to run a seccomp program in a test: loads from
 * seccomp_data, forward jumps, returns. Anything else is a test failure, as
 * is a jump past the end or falling off it (the kernel's checker refuses both).
 */
export interface SeccompData {
  nr: number;
  arch: number;
}

const BPF_LD_W_ABS = 0x20, BPF_JMP_JA = 0x05, BPF_JMP_JEQ_K = 0x15, BPF_JMP_JGT_K = 0x25, BPF_JMP_JGE_K = 0x35, BPF_RET_K = 0x06;

function seccompData(d: SeccompData): Buffer {
  const buf = Buffer.alloc(64); // int nr; u32 arch; u64 ip; u64 args[6]
  buf.writeInt32LE(d.nr, 0);
  buf.writeUInt32LE(d.arch >>> 0, 4);
  return buf;
}

/** The action (SECCOMP_RET_*) the program returns for `d`, and how many instructions ran. */
export function runSeccompProgram(program: Buffer, d: SeccompData): { action: number; steps: number } {
  const data = seccompData(d);
  const count = program.length / 8;
  let acc = 0;
  let pc = 0;
  for (let steps = 1; ; steps++) {
    if (pc >= count) throw new Error(`BPF: fell off the end at pc ${pc}`);
    const at = pc * 8;
    const code = program.readUInt16LE(at), jt = program.readUInt8(at + 2), jf = program.readUInt8(at + 3), k = program.readUInt32LE(at + 4);
    switch (code) {
      case BPF_LD_W_ABS:
        if (k + 4 > data.length || k % 4 !== 0) throw new Error(`BPF: bad load offset ${k} at pc ${pc}`);
        acc = data.readUInt32LE(k);
        pc++;
        break;
      case BPF_JMP_JA: pc += 1 + k; break;
      case BPF_JMP_JEQ_K: pc += 1 + (acc === k ? jt : jf); break;
      case BPF_JMP_JGT_K: pc += 1 + (acc > k ? jt : jf); break;
      case BPF_JMP_JGE_K: pc += 1 + (acc >= k ? jt : jf); break;
      case BPF_RET_K: return { action: k, steps };
      default: throw new Error(`BPF: unexpected opcode 0x${code.toString(16)} at pc ${pc}`);
    }
  }
}
