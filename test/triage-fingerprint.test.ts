import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { boundedEditDistance, isNearDuplicate } from '../src/triage/edit-distance.js';
import { groupFingerprint, signFailure, signFailureLines, type KnownFingerprint } from '../src/triage/fingerprint.js';
import { normalizeLine } from '../src/triage/normalize.js';
import type { FailureCause } from '../src/store/types.js';
import type { FailureClass } from '../src/triage/types.js';

interface LogCase {
  name: string;
  /** Failures of one group must share a fingerprint; different groups must not. */
  group: string;
  expectedClass: FailureClass;
  cause: FailureCause;
  error: string;
  failedStep: string;
  log: string;
}

const LLVM_KEY_ERROR = `Err:2 http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease
  The following signatures were invalid: EXPKEYSIG 15CF4D18AF4F7421 Sylvestre Ledru - Debian LLVM packages <sylvestre@debian.org>
Reading package lists...
W: GPG error: http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease: The following signatures were invalid: EXPKEYSIG 15CF4D18AF4F7421 Sylvestre Ledru - Debian LLVM packages <sylvestre@debian.org>
E: The repository 'http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease' is not signed.`;

const CASES: LogCase[] = [
  {
    name: 'expired apt key, ci_cpu, night 1',
    group: 'llvm-key',
    expectedClass: 'apt-key',
    cause: 'build',
    failedStep: 'Step 4/12 : RUN bash /install/ubuntu_install_llvm.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_llvm.sh' returned a non-zero code: 100",
    log: `Step 4/12 : RUN bash /install/ubuntu_install_llvm.sh
 ---> Running in 4f1d2c3b9a7e
Hit:1 http://archive.ubuntu.com/ubuntu jammy InRelease
Get:2 http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease [5,468 B]
${LLVM_KEY_ERROR}
ERROR: The command '/bin/sh -c bash /install/ubuntu_install_llvm.sh' returned a non-zero code: 100
[drydock] finished: failed (The command '/bin/sh -c bash /install/ubuntu_install_llvm.sh' returned a non-zero code: 100)`,
  },
  {
    name: 'expired apt key, ci_gpu, night 2',
    group: 'llvm-key',
    expectedClass: 'apt-key',
    cause: 'build',
    failedStep: 'Step 7/19 : RUN bash /install/ubuntu_install_llvm.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_llvm.sh' returned a non-zero code: 100",
    log: `Step 7/19 : RUN bash /install/ubuntu_install_llvm.sh
 ---> Running in 77aa01bc23de
Hit:1 http://archive.ubuntu.com/ubuntu jammy InRelease
Hit:2 http://archive.ubuntu.com/ubuntu jammy-updates InRelease
Get:3 http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease [5,470 B]
${LLVM_KEY_ERROR.replace('Err:2', 'Err:3')}
ERROR: The command '/bin/sh -c bash /install/ubuntu_install_llvm.sh' returned a non-zero code: 100`,
  },
  {
    name: '404 from wget, night 1',
    group: 'cmake-404',
    expectedClass: 'network',
    cause: 'build',
    failedStep: 'Step 6/15 : RUN bash /install/ubuntu_install_cmake_source.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_cmake_source.sh' returned a non-zero code: 8",
    log: `Step 6/15 : RUN bash /install/ubuntu_install_cmake_source.sh
 ---> Running in 9a8b7c6d5e4f
+ v=3.24.0
+ wget https://cmake.org/files/v3.24/cmake-3.24.0.tar.gz
--2026-03-02 05:14:07--  https://cmake.org/files/v3.24/cmake-3.24.0.tar.gz
Resolving cmake.org (cmake.org)... 66.194.253.25
Connecting to cmake.org (cmake.org)|66.194.253.25|:443... connected.
HTTP request sent, awaiting response... 404 Not Found
2026-03-02 05:14:08 ERROR 404: Not Found.

ERROR: The command '/bin/sh -c bash /install/ubuntu_install_cmake_source.sh' returned a non-zero code: 8`,
  },
  {
    name: '404 from wget, night 2, other mirror address',
    group: 'cmake-404',
    expectedClass: 'network',
    cause: 'build',
    failedStep: 'Step 6/15 : RUN bash /install/ubuntu_install_cmake_source.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_cmake_source.sh' returned a non-zero code: 8",
    log: `Step 6/15 : RUN bash /install/ubuntu_install_cmake_source.sh
 ---> Running in 0b1c2d3e4f5a
+ v=3.24.0
+ wget https://cmake.org/files/v3.24/cmake-3.24.0.tar.gz
--2026-03-03 05:16:41--  https://cmake.org/files/v3.24/cmake-3.24.0.tar.gz
Resolving cmake.org (cmake.org)... 66.194.253.19
Connecting to cmake.org (cmake.org)|66.194.253.19|:443... connected.
HTTP request sent, awaiting response... 404 Not Found
2026-03-03 05:16:42 ERROR 404: Not Found.

ERROR: The command '/bin/sh -c bash /install/ubuntu_install_cmake_source.sh' returned a non-zero code: 8`,
  },
  {
    name: '404 from curl of another file',
    group: 'sccache-404',
    expectedClass: 'network',
    cause: 'build',
    failedStep: 'Step 11/15 : RUN bash /install/ubuntu_install_sccache.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_sccache.sh' returned a non-zero code: 22",
    log: `Step 11/15 : RUN bash /install/ubuntu_install_sccache.sh
 ---> Running in 5e6f7a8b9c0d
+ curl -fsSL -o /tmp/sccache.tar.gz https://github.com/mozilla/sccache/releases/download/v0.3.9/sccache-v0.3.9-x86_64-unknown-linux-musl.tar.gz
curl: (22) The requested URL returned error: 404
ERROR: The command '/bin/sh -c bash /install/ubuntu_install_sccache.sh' returned a non-zero code: 22`,
  },
  {
    name: 'pip finds no matching distribution, ci_cpu',
    group: 'pip-onnx',
    expectedClass: 'pip-resolution',
    cause: 'build',
    failedStep: 'Step 9/20 : RUN bash /install/ubuntu_install_onnx.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_onnx.sh' returned a non-zero code: 1",
    log: `Step 9/20 : RUN bash /install/ubuntu_install_onnx.sh
 ---> Running in 0c1d2e3f4a5b
+ pip3 install onnx==1.99.0 onnxruntime==1.16.3
Collecting onnx==1.99.0
ERROR: Could not find a version that satisfies the requirement onnx==1.99.0 (from versions: 1.12.0, 1.13.0, 1.13.1, 1.14.0, 1.14.1, 1.15.0)
ERROR: No matching distribution found for onnx==1.99.0
ERROR: The command '/bin/sh -c bash /install/ubuntu_install_onnx.sh' returned a non-zero code: 1`,
  },
  {
    name: 'pip finds no matching distribution, ci_gpu, one more release out',
    group: 'pip-onnx',
    expectedClass: 'pip-resolution',
    cause: 'build',
    failedStep: 'Step 12/31 : RUN bash /install/ubuntu_install_onnx.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_onnx.sh' returned a non-zero code: 1",
    log: `Step 12/31 : RUN bash /install/ubuntu_install_onnx.sh
 ---> Running in 1d2e3f4a5b6c
+ pip3 install onnx==1.99.0 onnxruntime==1.16.3
Collecting onnx==1.99.0
ERROR: Could not find a version that satisfies the requirement onnx==1.99.0 (from versions: 1.12.0, 1.13.0, 1.13.1, 1.14.0, 1.14.1, 1.15.0, 1.16.0)
ERROR: No matching distribution found for onnx==1.99.0
ERROR: The command '/bin/sh -c bash /install/ubuntu_install_onnx.sh' returned a non-zero code: 1`,
  },
  {
    name: 'pip cannot reach the index',
    group: 'pip-offline',
    expectedClass: 'network',
    cause: 'build',
    failedStep: 'Step 9/20 : RUN bash /install/ubuntu_install_onnx.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_onnx.sh' returned a non-zero code: 1",
    log: `Step 9/20 : RUN bash /install/ubuntu_install_onnx.sh
 ---> Running in 2e3f4a5b6c7d
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f3b2c1d0e50>: Failed to establish a new connection: [Errno 101] Network is unreachable')': /simple/onnx/
ERROR: Could not find a version that satisfies the requirement onnx==1.15.0 (from versions: none)
ERROR: No matching distribution found for onnx==1.15.0`,
  },
  {
    name: 'compiler killed for memory, night 1',
    group: 'oom-cc1plus',
    expectedClass: 'out-of-memory',
    cause: 'build',
    failedStep: 'Step 14/20 : RUN bash /install/build_tvm.sh',
    error: "The command '/bin/sh -c bash /install/build_tvm.sh' returned a non-zero code: 2",
    log: `Step 14/20 : RUN bash /install/build_tvm.sh
 ---> Running in 3f4a5b6c7d8e
[ 87%] Building CXX object CMakeFiles/tvm_objs.dir/src/relay/transforms/fuse_ops.cc.o
c++: fatal error: Killed signal terminated program cc1plus
compilation terminated.
make[2]: *** [CMakeFiles/tvm_objs.dir/build.make:3412: CMakeFiles/tvm_objs.dir/src/relay/transforms/fuse_ops.cc.o] Error 1
make[1]: *** [CMakeFiles/Makefile2:215: CMakeFiles/tvm_objs.dir/all] Error 2
make: *** [Makefile:136: all] Error 2`,
  },
  {
    name: 'compiler killed for memory, night 2',
    group: 'oom-cc1plus',
    expectedClass: 'out-of-memory',
    cause: 'build',
    failedStep: 'Step 14/20 : RUN bash /install/build_tvm.sh',
    error: "The command '/bin/sh -c bash /install/build_tvm.sh' returned a non-zero code: 2",
    log: `Step 14/20 : RUN bash /install/build_tvm.sh
 ---> Running in 4a5b6c7d8e9f
[ 88%] Building CXX object CMakeFiles/tvm_objs.dir/src/relay/transforms/fuse_ops.cc.o
c++: fatal error: Killed signal terminated program cc1plus
compilation terminated.
make[2]: *** [CMakeFiles/tvm_objs.dir/build.make:3419: CMakeFiles/tvm_objs.dir/src/relay/transforms/fuse_ops.cc.o] Error 1
make[1]: *** [CMakeFiles/Makefile2:216: CMakeFiles/tvm_objs.dir/all] Error 2
make: *** [Makefile:136: all] Error 2`,
  },
  {
    name: 'pip killed for memory',
    group: 'oom-torch',
    expectedClass: 'out-of-memory',
    cause: 'build',
    failedStep: 'Step 10/20 : RUN bash /install/ubuntu_install_torch.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_torch.sh' returned a non-zero code: 137",
    log: `Step 10/20 : RUN bash /install/ubuntu_install_torch.sh
 ---> Running in 5b6c7d8e9f0a
Collecting torch==2.1.0
  Downloading torch-2.1.0-cp310-cp310-manylinux1_x86_64.whl (670.2 MB)
Killed
ERROR: The command '/bin/sh -c bash /install/ubuntu_install_torch.sh' returned a non-zero code: 137`,
  },
  {
    name: 'disk full while unpacking',
    group: 'disk-llvm',
    expectedClass: 'disk-full',
    cause: 'build',
    failedStep: 'Step 4/12 : RUN bash /install/ubuntu_install_llvm.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_llvm.sh' returned a non-zero code: 100",
    log: `Step 4/12 : RUN bash /install/ubuntu_install_llvm.sh
 ---> Running in 6c7d8e9f0a1b
Unpacking llvm-17-dev (1:17.0.6~++20231209124227+6009708b4367-1~exp1~20231209124336.77) ...
dpkg: error processing archive /var/cache/apt/archives/llvm-17-dev_1%3a17.0.6~++20231209124227+6009708b4367-1~exp1~20231209124336.77_amd64.deb (--unpack):
 cannot copy extracted data for './usr/lib/llvm-17/lib/libLLVM-17.so' to '/usr/lib/llvm-17/lib/libLLVM-17.so.dpkg-new': failed to write (No space left on device)
Errors were encountered while processing:
 /var/cache/apt/archives/llvm-17-dev_1%3a17.0.6~++20231209124227+6009708b4367-1~exp1~20231209124336.77_amd64.deb
E: Sub-process /usr/bin/dpkg returned an error code (1)`,
  },
  {
    name: 'disk full in the engine',
    group: 'disk-engine',
    expectedClass: 'disk-full',
    cause: 'engine',
    failedStep: 'Step 2/9 : COPY install/ /install/',
    error: 'Docker engine unix:///var/run/docker.sock failed: write /var/lib/docker/tmp/docker-builder318244207/install/core.sh: no space left on device',
    log: `Step 2/9 : COPY install/ /install/
[drydock] finished: failed (Docker engine unix:///var/run/docker.sock failed: write /var/lib/docker/tmp/docker-builder318244207/install/core.sh: no space left on device)`,
  },
  {
    name: 'compiler error',
    group: 'compile-arity',
    expectedClass: 'compiler',
    cause: 'build',
    failedStep: 'Step 14/20 : RUN bash /install/build_tvm.sh',
    error: "The command '/bin/sh -c bash /install/build_tvm.sh' returned a non-zero code: 2",
    log: `Step 14/20 : RUN bash /install/build_tvm.sh
 ---> Running in 7d8e9f0a1b2c
[ 45%] Building CXX object CMakeFiles/tvm_objs.dir/src/runtime/vm/executable.cc.o
/workspace/src/runtime/vm/executable.cc:412:19: error: 'class tvm::runtime::vm::Executable' has no member named 'GetFunctionArity'
  412 |   int arity = exec->GetFunctionArity(name);
      |                   ^~~~~~~~~~~~~~~~
make[2]: *** [CMakeFiles/tvm_objs.dir/build.make:1123: CMakeFiles/tvm_objs.dir/src/runtime/vm/executable.cc.o] Error 1
make[1]: *** [CMakeFiles/Makefile2:215: CMakeFiles/tvm_objs.dir/all] Error 2
make: *** [Makefile:136: all] Error 2`,
  },
  {
    name: 'apt package gone',
    group: 'apt-libtinfo5',
    expectedClass: 'package-not-found',
    cause: 'build',
    failedStep: 'Step 3/12 : RUN bash /install/ubuntu_install_core.sh',
    error: "The command '/bin/sh -c bash /install/ubuntu_install_core.sh' returned a non-zero code: 100",
    log: `Step 3/12 : RUN bash /install/ubuntu_install_core.sh
 ---> Running in 8e9f0a1b2c3d
Reading package lists...
Building dependency tree...
Reading state information...
E: Unable to locate package libtinfo5`,
  },
  {
    name: 'build timed out, night 1',
    group: 'timeout-build',
    expectedClass: 'timeout',
    cause: 'timeout',
    failedStep: 'Step 14/20 : RUN bash /install/build_tvm.sh',
    error: 'build timed out after 240 minutes',
    log: `Step 14/20 : RUN bash /install/build_tvm.sh
 ---> Running in 9f0a1b2c3d4e
[ 12%] Building CXX object CMakeFiles/tvm_objs.dir/src/arith/analyzer.cc.o
[drydock] build timed out after 240 minutes; the engine stops it`,
  },
  {
    name: 'build timed out, night 2 with a longer limit',
    group: 'timeout-build',
    expectedClass: 'timeout',
    cause: 'timeout',
    failedStep: 'Step 14/20 : RUN bash /install/build_tvm.sh',
    error: 'build timed out after 360 minutes',
    log: `Step 14/20 : RUN bash /install/build_tvm.sh
 ---> Running in 0a1b2c3d4e5f
[ 19%] Building CXX object CMakeFiles/tvm_objs.dir/src/arith/int_set.cc.o
[drydock] build timed out after 360 minutes; the engine stops it`,
  },
  {
    name: 'push denied, night 1',
    group: 'push-denied',
    expectedClass: 'registry',
    cause: 'registry',
    failedStep: 'Step 20/20 : CMD ["/bin/bash"]',
    error: 'push to registry.example.invalid failed: denied: requested access to the resource is denied',
    log: `Step 20/20 : CMD ["/bin/bash"]
 ---> Running in 1b2c3d4e5f6a
Successfully built 3c4d5e6f7a8b
Successfully tagged registry.example.invalid/ci/ci_cpu:latest
The push refers to repository [registry.example.invalid/ci/ci_cpu]
5f70bf18a086: Preparing
a1b2c3d4e5f6: Preparing
ERROR: denied: requested access to the resource is denied`,
  },
  {
    name: 'push denied, night 2',
    group: 'push-denied',
    expectedClass: 'registry',
    cause: 'registry',
    failedStep: 'Step 20/20 : CMD ["/bin/bash"]',
    error: 'push to registry.example.invalid failed: denied: requested access to the resource is denied',
    log: `Step 20/20 : CMD ["/bin/bash"]
 ---> Running in 2c3d4e5f6a7b
Successfully built 4d5e6f7a8b9c
Successfully tagged registry.example.invalid/ci/ci_cpu:latest
The push refers to repository [registry.example.invalid/ci/ci_cpu]
6a81cf29b197: Preparing
b2c3d4e5f6a7: Preparing
ERROR: denied: requested access to the resource is denied`,
  },
  {
    name: 'base image pull rate-limited',
    group: 'pull-rate-limit',
    expectedClass: 'registry',
    cause: 'build',
    failedStep: 'FROM ubuntu:22.04',
    error: 'pull of base image ubuntu:22.04 failed: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading',
    log: `[drydock] run 20260302-050000-ab12: building ci_cpu from 49283e8 (Bump onnx)
ubuntu:22.04: Pulling from library/ubuntu
ERROR: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading`,
  },
  {
    name: 'test failure in validation',
    group: 'test-conv2d',
    expectedClass: 'test-failure',
    cause: 'build',
    failedStep: 'tests/scripts/task_python_unittest.sh',
    error: 'command exited with 1',
    log: `tests/python/relay/test_op_level2.py::test_conv2d_run PASSED
tests/python/relay/test_op_level2.py::test_conv2d_winograd FAILED
=================================== FAILURES ===================================
E       AssertionError: Not equal to tolerance rtol=1e-05, atol=1e-05
FAILED tests/python/relay/test_op_level2.py::test_conv2d_winograd - AssertionError: Not equal to tolerance rtol=1e-05, atol=1e-05
==================== 1 failed, 311 passed in 412.35s (0:06:52) ====================`,
  },
];

function sign(entry: LogCase) {
  return signFailureLines(entry.log.split('\n'), { error: entry.error, cause: entry.cause, failedStep: entry.failedStep });
}

/** Groups the cases in order, as nights arrive, the way the store does. */
function groupAll(cases: LogCase[]): Map<string, string> {
  const known: KnownFingerprint[] = [];
  const ids = new Map<string, string>();
  for (const entry of cases) {
    const signature = sign(entry);
    const id = groupFingerprint(signature, known);
    if (!known.some((fingerprint) => fingerprint.id === id)) known.push({ id, failureClass: signature.failureClass, normalized: signature.normalized });
    ids.set(entry.name, id);
  }
  return ids;
}

describe('failure classes and groups of real log tails', () => {
  const ids = groupAll(CASES);

  test.each(CASES)('$name is $expectedClass', (entry) => {
    expect(sign(entry).failureClass).toBe(entry.expectedClass);
  });

  test.each(CASES)('$name falls in group $group', (entry) => {
    const id = ids.get(entry.name)!;
    const sameGroup = CASES.filter((other) => other.group === entry.group).map((other) => ids.get(other.name));
    const otherGroups = CASES.filter((other) => other.group !== entry.group).map((other) => ids.get(other.name));

    expect(sameGroup.every((other) => other === id)).toBe(true);
    expect(otherGroups).not.toContain(id);
  });

  test('grouping ignores the order of nights', () => {
    const reversed = groupAll([...CASES].reverse());
    for (const entry of CASES) {
      const partners = CASES.filter((other) => other.group === entry.group);
      expect(new Set(partners.map((other) => reversed.get(other.name))).size).toBe(1);
    }
  });
});

describe('error lines', () => {
  test('skip the daemon summary and bookkeeping', () => {
    const lines = sign(CASES[0]!).errorLines;

    expect(lines.some((line) => line.includes('returned a non-zero code'))).toBe(false);
    expect(lines.some((line) => line.startsWith('[drydock] finished'))).toBe(false);
    expect(lines.at(-1)).toContain('is not signed');
  });

  test('keep the URL of a failed download', () => {
    const lines = sign(CASES.find((entry) => entry.group === 'sccache-404')!).errorLines;

    expect(lines[0]).toContain('https://github.com/mozilla/sccache/releases/download/v0.3.9/');
    expect(lines[1]).toBe('curl: (22) The requested URL returned error: 404');
  });

  test('take context before a bare Killed', () => {
    const lines = sign(CASES.find((entry) => entry.group === 'oom-torch')!).errorLines;

    expect(lines).toEqual(['Collecting torch==2.1.0', '  Downloading torch-2.1.0-cp310-cp310-manylinux1_x86_64.whl (670.2 MB)', 'Killed']);
  });

  test('come only from the failing step', () => {
    const signature = signFailureLines(
      ['Step 2/3 : RUN make', 'error: old warning turned error', 'Step 3/3 : RUN ./configure', 'checking for gcc... no', 'configure: exiting'],
      { error: "The command '/bin/sh -c ./configure' returned a non-zero code: 1", cause: 'build', failedStep: 'Step 3/3 : RUN ./configure' },
    );

    expect(signature.errorLines.join('\n')).not.toContain('old warning');
    expect(signature.errorLines).toContain('configure: exiting');
  });

  test('fall back to the error message without a log', () => {
    const signature = signFailureLines([], { error: 'build timed out after 240 minutes', cause: 'timeout', failedStep: null });

    expect(signature.errorLines).toEqual(['build timed out after 240 minutes']);
    expect(signature.failureClass).toBe('timeout');
  });

  test('are read from a log file without its timestamps', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drydock-triage-'));
    const file = path.join(dir, 'ci_cpu.build.log');
    const stamped = CASES[0]!.log.split('\n').map((line, index) => `2026-03-02T05:0${index % 10}:00.${String(index).padStart(3, '0')}Z ${line}`);
    writeFileSync(file, `${stamped.join('\n')}\n`);

    const fromFile = signFailure({ kind: 'build', runId: 'r1', image: 'ci_cpu', failedStep: null, error: CASES[0]!.error, cause: 'build', logPath: file });

    expect(fromFile.exactId).toBe(sign(CASES[0]!).exactId);
    expect(fromFile.errorLines.every((line) => !/^\d{4}-/.test(line))).toBe(true);
  });

  test('a missing log file leaves the error message', () => {
    const signature = signFailure({ kind: 'build', runId: 'r1', image: 'ci_cpu', failedStep: null, error: 'boom', cause: 'build', logPath: '/nonexistent/drydock/x.log' });

    expect(signature.errorLines).toEqual(['boom']);
  });
});

describe('normalizeLine', () => {
  test.each([
    ['2026-03-02T05:14:07.123Z fetched', '<time> fetched'],
    ['--2026-03-02 05:14:07--  https://x.invalid/a', '--<time>-- https://x.invalid/a'],
    ['digest sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b pushed', 'digest <digest> pushed'],
    ['container 4f1d2c3b9a7e exited', 'container <hex> exited'],
    ['commit 49283e8 broke it', 'commit <hex> broke it'],
    ['wrote /tmp/pip-install-8x2k_q1/onnx/setup.py', 'wrote <tmp>'],
    ['Downloading torch (670.2 MB)', 'Downloading torch (<size>)'],
    ['Fetched 12 kB in 3s (4,012 B/s)', 'Fetched <size> in <duration> (4,<size>/s)'],
    ['timed out after 240 minutes', 'timed out after <duration>'],
    ['Connecting to 66.194.253.25:443', 'Connecting to <ip>'],
    ['Step 4/12 : RUN x', 'Step <n>/<n> : RUN x'],
    ['onnx==1.99.0 deadline', 'onnx==1.99.0 deadline'],
  ])('%s', (line, expected) => {
    expect(normalizeLine(line)).toBe(expected);
  });
});

describe('boundedEditDistance', () => {
  test.each([
    ['', '', 3, 0],
    ['kitten', 'sitting', 3, 3],
    ['kitten', 'sitting', 2, 3],
    ['abc', 'abcdef', 2, 3],
    ['flaw', 'lawn', 5, 2],
    ['same text', 'same text', 0, 0],
  ])('%s vs %s within %i is %i', (a, b, bound, expected) => {
    expect(boundedEditDistance(a, b, bound)).toBe(expected);
  });

  test('matches the full distance on random strings', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const word = () => Array.from({ length: Math.floor(random() * 12) }, () => 'abc'[Math.floor(random() * 3)]).join('');
    for (let round = 0; round < 300; round++) {
      const a = word();
      const b = word();
      const full = fullEditDistance(a, b);
      expect(boundedEditDistance(a, b, 20)).toBe(full);
      expect(boundedEditDistance(a, b, 2)).toBe(Math.min(full, 3));
    }
  });

  test('near duplicates allow a tenth of the length', () => {
    const base = 'x'.repeat(100);

    expect(isNearDuplicate(base, `${'x'.repeat(90)}${'y'.repeat(10)}`)).toBe(true);
    expect(isNearDuplicate(base, `${'x'.repeat(89)}${'y'.repeat(11)}`)).toBe(false);
  });
});

function fullEditDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      rows[i]![j] = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return rows[a.length]![b.length]!;
}
