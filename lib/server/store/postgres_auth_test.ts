import { expect } from "expect";
import { md5Password, Scram } from "./postgres_auth.ts";

// RFC 7677, section 3: user "user", password "pencil".
const SERVER_FIRST =
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

Deno.test("scram - the exchange matches RFC 7677's example", () => {
  const scram = new Scram("pencil", {
    user: "user",
    nonce: "rOprNGfwEbeRWgbNEkqO",
  });
  expect(scram.first()).toBe("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  expect(scram.final(SERVER_FIRST)).toBe(
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  expect(scram.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
    .toBe(true);
});

Deno.test("scram - a wrong server signature or a foreign nonce is refused", () => {
  const scram = new Scram("pencil", {
    user: "user",
    nonce: "rOprNGfwEbeRWgbNEkqO",
  });
  expect(scram.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
    .toBe(false); // nothing to verify before final()
  scram.final(SERVER_FIRST);
  expect(scram.verify("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
    .toBe(false);
  expect(scram.verify("e=invalid-proof")).toBe(false);
  expect(() => new Scram("pencil", { nonce: "abc" }).final(SERVER_FIRST))
    .toThrow("nonce");
  expect(() => new Scram("pencil", { nonce: "abc" }).final("r=abcdef,s=,i=x"))
    .toThrow("malformed");
});

Deno.test("scram - user names escape '=' and ','", () => {
  expect(new Scram("pw", { user: "a=b,c", nonce: "n" }).first())
    .toBe("n,,n=a=3Db=2Cc,r=n");
});

Deno.test("md5 - the answer is md5 of the inner hex and the salt", () => {
  // Computed independently: "md5" + md5(md5hex("secretalice") + salt).
  const salt = new Uint8Array([1, 2, 3, 4]);
  expect(md5Password("alice", "secret", salt))
    .toBe("md598a0412b9c31436fc53776e863350083");
  expect(md5Password("alice", "secret", new Uint8Array([1, 2, 3, 5])))
    .not.toBe("md598a0412b9c31436fc53776e863350083");
});
