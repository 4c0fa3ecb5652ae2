/**
 * Terminal control sequences: CSI (colours, cursor moves, such as the
 * `ESC[91m` ... `ESC[0m` the classic builder wraps a step's stderr in), OSC
 * (window titles, hyperlinks) ended by BEL or ST, and the other two-byte
 * escapes.
 */
const TERMINAL_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes terminal control sequences from a line, so logs read as plain text and line patterns match from the start. */
export function stripTerminalEscapes(line: string): string {
  return line.includes('\u001b') ? line.replace(TERMINAL_ESCAPE, '') : line;
}
