/** A `$` expression that the Compose interpolation grammar does not allow, or a required variable that is unset. */
export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Expands variables in one Compose value as the Compose specification's
 * interpolation section defines: `$VAR`, `${VAR}`, `${VAR:-default}` (unset
 * or empty), `${VAR-default}` (unset), `${VAR:?message}` and `${VAR?message}`
 * (required), `${VAR:+alternative}` and `${VAR+alternative}`, with `$$` for a
 * literal `$`. Defaults may hold further expressions. Unset variables without
 * a default become empty and are added to `unset`.
 */
export function interpolate(text: string, lookup: (name: string) => string | undefined, unset: Set<string>): string {
  let result = '';
  let index = 0;

  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar === -1) {
      result += text.slice(index);
      break;
    }
    result += text.slice(index, dollar);
    const next = text[dollar + 1];

    if (next === '$') {
      result += '$';
      index = dollar + 2;
      continue;
    }
    if (next === '{') {
      const end = findClosingBrace(text, dollar + 2);
      result += expandBraced(text.slice(dollar + 2, end), lookup, unset);
      index = end + 1;
      continue;
    }
    const bare = NAME.exec(text.slice(dollar + 1))?.[0];
    if (bare === undefined) {
      throw new InterpolationError(`invalid interpolation at ${JSON.stringify(text.slice(dollar, dollar + 8))}: write $$ for a literal $`);
    }
    result += readVariable(bare, lookup, unset);
    index = dollar + 1 + bare.length;
  }
  return result;
}

/** Returns the index of the `}` that closes the `${` whose body starts at `start`. */
function findClosingBrace(text: string, start: number): number {
  let depth = 1;
  for (let index = start; index < text.length; index++) {
    if (text[index] === '$' && text[index + 1] === '$') {
      index++;
    } else if (text[index] === '$' && text[index + 1] === '{') {
      depth++;
      index++;
    } else if (text[index] === '}') {
      depth--;
      if (depth === 0) return index;
    }
  }
  throw new InterpolationError(`invalid interpolation: ${JSON.stringify(text.slice(start - 2))} has no closing "}"`);
}

function expandBraced(body: string, lookup: (name: string) => string | undefined, unset: Set<string>): string {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) throw new InterpolationError(`invalid interpolation "\${${body}}": a variable name must come first`);

  const rest = body.slice(name.length);
  if (rest === '') return readVariable(name, lookup, unset);

  const operator = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (operator === undefined) {
    throw new InterpolationError(`invalid interpolation "\${${body}}": after the name comes "}", ":-", "-", ":?", "?", ":+" or "+"`);
  }
  const word = () => interpolate(rest.slice(operator.length), lookup, unset);
  const value = lookup(name);
  const isSet = value !== undefined;
  const isNonEmpty = value !== undefined && value !== '';

  switch (operator) {
    case ':-':
      return isNonEmpty ? value : word();
    case '-':
      return isSet ? value : word();
    case ':+':
      return isNonEmpty ? word() : '';
    case '+':
      return isSet ? word() : '';
    default: {
      const required = operator === ':?' ? isNonEmpty : isSet;
      if (required) return value!;
      const message = word();
      throw new InterpolationError(`required variable ${name} is ${isSet ? 'empty' : 'not set'}${message ? `: ${message}` : ''}`);
    }
  }
}

function readVariable(name: string, lookup: (name: string) => string | undefined, unset: Set<string>): string {
  const value = lookup(name);
  if (value === undefined) unset.add(name);
  return value ?? '';
}
