/** shellQuote and friends, with the exact text a POSIX shell needs (IEEE Std 1003.1, Shell Command Language §2.2: quoting). */
import { describe, expect, test } from "vitest";
import { shellJoin, shellQuote, sudoWrap, toCommandLine } from "../../scripts/ssh/shell-quote";

describe("shellQuote", () => {
  test.each(["kumod", "/opt/kumomta/sbin/kumod", "--policy=/etc/x.lua", "user@host", "a,b:c", "100%", "1+1", "A_Z-0.9"])("%j stays plain", (word) => {
    expect(shellQuote(word)).toBe(word);
  });

  test.each([
    ["", "''"],
    ["a b", "'a b'"],
    ["$HOME", "'$HOME'"],
    ["HOME$", "'HOME$'"],
    ["a$b", "'a$b'"],
    ["`id`", "'`id`'"],
    ["$(id)", "'$(id)'"],
    ["*", "'*'"],
    ["~", "'~'"],
    ["a;b", "'a;b'"],
    ["a|b", "'a|b'"],
    ["a&b", "'a&b'"],
    ["#x", "'#x'"],
    ["!x", "'!x'"],
    ['"q"', `'"q"'`],
    ["back\\slash", "'back\\slash'"],
    ["new\nline", "'new\nline'"],
    ["it's", "'it'\\''s'"],
    ["''", "''\\'''\\'''"],
  ])("%j → %s", (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });

  test("a NUL byte cannot be passed to a shell at all", () => {
    expect(() => shellQuote("a\0b")).toThrow("refusing to quote an argument that contains a NUL byte");
  });
});

describe("command lines", () => {
  test("shellJoin quotes each argument and joins with single spaces", () => {
    expect(shellJoin(["printf", "%s\\n", "a b", "$x"])).toBe("printf '%s\\n' 'a b' '$x'");
    expect(shellJoin(["id"])).toBe("id");
    expect(() => shellJoin([])).toThrow("empty command");
  });

  test("toCommandLine: a string is a shell line as is, an array is argv", () => {
    expect(toCommandLine("echo $HOME | wc -c")).toBe("echo $HOME | wc -c");
    expect(toCommandLine(["echo", "$HOME"])).toBe("echo '$HOME'");
  });

  test("sudoWrap: sudo -n, then sh -c with the whole line as one argument", () => {
    expect(sudoWrap("id")).toBe("sudo -n -- sh -c id");
    expect(sudoWrap("echo $HOME")).toBe("sudo -n -- sh -c 'echo $HOME'");
  });
});
