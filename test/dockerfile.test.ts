import { describe, expect, test } from 'vitest';
import { substitute, summarizeDockerfile } from '../src/catalog/dockerfile.js';

describe('ARG substitution', () => {
  test('ARG default in FROM', () => {
    const summary = summarizeDockerfile('ARG BASE=ubuntu:22.04\nFROM ${BASE}\n');

    expect(summary.externalImages).toEqual(['ubuntu:22.04']);
  });

  test('bare $VAR in FROM', () => {
    const summary = summarizeDockerfile('ARG TAG=3.19\nFROM alpine:$TAG\n');

    expect(summary.externalImages).toEqual(['alpine:3.19']);
  });

  test('build arg overrides the default', () => {
    const summary = summarizeDockerfile('ARG BASE=ubuntu:22.04\nFROM ${BASE}\n', { BASE: 'ubuntu:24.04' });

    expect(summary.externalImages).toEqual(['ubuntu:24.04']);
  });

  test('build arg fills an ARG without default', () => {
    const summary = summarizeDockerfile('ARG BASE\nFROM $BASE\n', { BASE: 'debian:12' });

    expect(summary.externalImages).toEqual(['debian:12']);
  });

  test('undeclared build arg is ignored', () => {
    const summary = summarizeDockerfile('FROM ${BASE:-alpine}\n', { BASE: 'debian:12' });

    expect(summary.externalImages).toEqual(['alpine']);
  });

  test('quoted ARG default', () => {
    const summary = summarizeDockerfile('ARG BASE="ubuntu:22.04"\nFROM $BASE\n');

    expect(summary.externalImages).toEqual(['ubuntu:22.04']);
  });

  test('default operator when unset', () => {
    const summary = summarizeDockerfile('ARG TAG\nFROM ubuntu:${TAG:-20.04}\n');

    expect(summary.externalImages).toEqual(['ubuntu:20.04']);
  });

  test('default operator when set', () => {
    const summary = summarizeDockerfile('ARG TAG=22.04\nFROM ubuntu:${TAG:-20.04}\n');

    expect(summary.externalImages).toEqual(['ubuntu:22.04']);
  });

  test('ARG after FROM does not apply to later FROM', () => {
    const summary = summarizeDockerfile('FROM alpine AS one\nARG NEXT=debian\nFROM ${NEXT:-busybox}\n');

    expect(summary.externalImages).toEqual(['alpine', 'busybox']);
  });

  test('substitute operators', () => {
    expect(substitute('${A:-x}', {})).toBe('x');
    expect(substitute('${A:-x}', { A: '' })).toBe('x');
    expect(substitute('${A:-x}', { A: 'a' })).toBe('a');
    expect(substitute('${A:+y}', { A: 'a' })).toBe('y');
    expect(substitute('${A:+y}', {})).toBe('');
    expect(substitute('$A/$B', { A: 'a', B: 'b' })).toBe('a/b');
    expect(substitute('$MISSING', {})).toBe('');
  });
});

describe('stages', () => {
  test('AS names are not external', () => {
    const text = ['FROM ubuntu:22.04 AS build', 'RUN make', 'FROM build AS test', 'FROM build'].join('\n');

    const summary = summarizeDockerfile(text);

    expect(summary.externalImages).toEqual(['ubuntu:22.04']);
    expect(summary.stages).toEqual([
      { base: 'ubuntu:22.04', name: 'build' },
      { base: 'build', name: 'test' },
      { base: 'build', name: undefined },
    ]);
  });

  test('stage names ignore case', () => {
    const summary = summarizeDockerfile('FROM alpine AS Builder\nFROM BUILDER\n');

    expect(summary.externalImages).toEqual(['alpine']);
  });

  test('stage name with tag is external', () => {
    const summary = summarizeDockerfile('FROM alpine AS base\nFROM base:latest\n');

    expect(summary.externalImages).toEqual(['alpine', 'base:latest']);
  });

  test('COPY --from an image is external', () => {
    const summary = summarizeDockerfile('FROM alpine\nCOPY --from=golang:1.22 /usr/local/go /go\n');

    expect(summary.externalImages).toEqual(['alpine', 'golang:1.22']);
  });

  test('COPY --from a stage is not external', () => {
    const summary = summarizeDockerfile('FROM golang:1.22 AS build\nFROM alpine\nCOPY --chown=1:1 --from=build /out /out\n');

    expect(summary.externalImages).toEqual(['golang:1.22', 'alpine']);
  });

  test('COPY --from a stage index is not external', () => {
    const summary = summarizeDockerfile('FROM golang:1.22\nFROM alpine\nCOPY --from=0 /out /out\n');

    expect(summary.externalImages).toEqual(['golang:1.22', 'alpine']);
  });

  test('COPY without --from', () => {
    const summary = summarizeDockerfile('FROM alpine\nCOPY --from-file-named-this /a /b\nCOPY . /src\n');

    expect(summary.externalImages).toEqual(['alpine']);
  });

  test('FROM --platform flag is skipped', () => {
    const summary = summarizeDockerfile('FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM --platform=linux/arm64 alpine\n');

    expect(summary.externalImages).toEqual(['golang:1.22', 'alpine']);
    expect(summary.stages[0]).toEqual({ base: 'golang:1.22', name: 'build' });
  });

  test('scratch is not external', () => {
    const summary = summarizeDockerfile('FROM golang:1.22 AS build\nFROM scratch\nCOPY --from=build /app /app\n');

    expect(summary.externalImages).toEqual(['golang:1.22']);
  });

  test('repeated base listed once', () => {
    const summary = summarizeDockerfile('FROM alpine AS a\nFROM alpine AS b\n');

    expect(summary.externalImages).toEqual(['alpine']);
  });
});

describe('syntax', () => {
  test('lower-case keywords', () => {
    const summary = summarizeDockerfile('arg BASE=alpine\nfrom $BASE as base\ncopy --from=busybox /bin/sh /sh\nfrom base\n');

    expect(summary.externalImages).toEqual(['alpine', 'busybox']);
  });

  test('line continuation in FROM', () => {
    const summary = summarizeDockerfile('FROM \\\n  ubuntu:22.04 \\\n  AS base\nFROM base\n');

    expect(summary.externalImages).toEqual(['ubuntu:22.04']);
    expect(summary.stages[0]?.name).toBe('base');
  });

  test('comment inside a continuation', () => {
    const text = ['FROM alpine', 'RUN apk add \\', '# a comment between lines', '    curl', 'FROM debian:12'].join('\n');

    const summary = summarizeDockerfile(text);

    expect(summary.externalImages).toEqual(['alpine', 'debian:12']);
  });

  test('blank line inside a continuation', () => {
    const text = ['FROM alpine', 'RUN echo \\', '', '    FROM not-an-image', 'FROM debian:12'].join('\n');

    const summary = summarizeDockerfile(text);

    expect(summary.externalImages).toEqual(['alpine', 'debian:12']);
  });

  test('commented-out FROM is ignored', () => {
    const summary = summarizeDockerfile('# FROM ubuntu:18.04\n  # FROM centos:7\nFROM ubuntu:22.04\n');

    expect(summary.externalImages).toEqual(['ubuntu:22.04']);
  });

  test('CRLF line endings', () => {
    const summary = summarizeDockerfile('ARG BASE=alpine\r\nFROM $BASE AS one\r\nFROM one\r\n');

    expect(summary.externalImages).toEqual(['alpine']);
  });

  test('escape directive switches to backtick', () => {
    const text = ['# escape=`', 'FROM mcr.microsoft.com/windows/servercore:ltsc2022 `', '  AS base', 'COPY C:\\app\\ C:\\app\\', 'FROM base'].join('\n');

    const summary = summarizeDockerfile(text);

    expect(summary.externalImages).toEqual(['mcr.microsoft.com/windows/servercore:ltsc2022']);
    expect(summary.stages[0]?.name).toBe('base');
  });

  test('escape directive after syntax directive', () => {
    const text = ['# syntax=docker/dockerfile:1', '# escape=`', 'FROM alpine `', '  AS base', 'FROM base'].join('\n');

    const summary = summarizeDockerfile(text);

    expect(summary.externalImages).toEqual(['alpine']);
  });

  test('escape comment after an instruction is not a directive', () => {
    const text = ['FROM alpine AS base', '# escape=`', 'FROM base \\', '  AS second', 'FROM second'].join('\n');

    const summary = summarizeDockerfile(text);

    expect(summary.externalImages).toEqual(['alpine']);
    expect(summary.stages[1]?.name).toBe('second');
  });

  test('escape comment after a blank line is not a directive', () => {
    const text = ['', '# escape=`', 'FROM alpine \\', '  AS base', 'FROM base'].join('\n');

    const summary = summarizeDockerfile(text);

    expect(summary.externalImages).toEqual(['alpine']);
  });

  test('empty Dockerfile', () => {
    const summary = summarizeDockerfile('');

    expect(summary.externalImages).toEqual([]);
    expect(summary.stages).toEqual([]);
  });
});
