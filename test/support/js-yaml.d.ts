// js-yaml comes with the toolchain (@nestjs/cli) without its types; the tests only parse.
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
