#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No secrets baked in. One case per secret rule: a spec whose files: directory holds that
# secret is refused, naming the file and the rule, and nothing is written; with the file in
# allow_secrets it builds (the build says what it let through), and `inspect --secrets`
# finds it in the image. Public keys, certificates and .env templates pass. A project
# script given as a binary is checked too. `inspect --secrets --json` on a two-layer image
# sees what a container sees (a whiteout hides a lower layer's secret). No image of the
# specs in specs/ and specs/apps/ trips a rule, neither at build nor in inspect. Tokens are
# assembled at run time, so that this file holds none.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

P=$W/proj
mkdir -p "$P"
# fake tokens of the right shapes
AKID="AKI""AQWERTYUIOPASDFGH"
GHP="gh""p_0123456789abcdefghijABCDEFGHIJ012345"
SLACK="xo""xb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GKEY="AI""zaSyA0123456789abcdefghijklmnopqrstuv"
PGP="-----BEGIN PGP PRIV""ATE KEY BLOCK-----"

spec() { # [ALLOW...]: the spec of the project, its files: ./conf at /app
    {
        printf 'name: t/secrets:1\nbase: scratch\nplatform: linux/amd64\n'
        printf 'files:\n  - {src: ./conf, dst: /app}\n'
        [ $# -eq 0 ] || { printf 'allow_secrets:\n'; for a in "$@"; do printf '  - "%s"\n' "$a"; done; }
    } > "$P/app.yaml"
}

build() { # OUT: builds the project's spec as a rootfs tarball; stderr in $W/err
    "$DISTILL" build --no-lock --no-check --format rootfs "$P/app.yaml" -o "$1" 2> "$W/err"
}

# case RULE PATH MAKE: conf/PATH made by the shell code MAKE (run in conf/) trips RULE
case_rule() {
    local rule=$1 path=$2 make=$3 rc=0 out
    rm -rf "$P/conf" "$W/img.tar"
    mkdir -p "$P/conf"
    echo 'ok' > "$P/conf/readme.txt"
    (cd "$P/conf" && eval "$make")
    spec
    build "$W/img.tar" || rc=$?
    [ "$rc" = 1 ] || fail "$rule: build exit $rc, not 1: $(cat "$W/err")"
    grep -qF "distill: $P/app.yaml: /app/$path: looks like a secret (rule $rule): " "$W/err" ||
        fail "$rule: the error does not name /app/$path and the rule: $(cat "$W/err")"
    grep -qF "allow it with allow_secrets" "$W/err" || fail "$rule: no hint: $(cat "$W/err")"
    grep -qF "build refused: 1 file that looks like a secret; nothing was written" "$W/err" ||
        fail "$rule: no refusal: $(cat "$W/err")"
    [ ! -e "$W/img.tar" ] || fail "$rule: something was written"
    ! ls "$W" | grep -q '^img.tar' || fail "$rule: a temporary was left"
    # allowed by its path, it builds and says so
    spec "/app/$path"
    build "$W/img.tar" || fail "$rule: build with allow_secrets: $(cat "$W/err")"
    grep -qF "allowed: /app/$path: looks like a secret (rule $rule)" "$W/err" ||
        fail "$rule: the build does not say what it allowed: $(cat "$W/err")"
    out=$(tar -tf "$W/img.tar")
    grep -qxF -e "app/$path" -e "app/$path/" <<<"$out" || fail "$rule: /app/$path is not in the image"
    # and inspect --secrets finds it there: exit 1, the file and the rule
    rc=0
    out=$("$DISTILL" inspect --secrets "$W/img.tar") || rc=$?
    [ "$rc" = 1 ] || fail "$rule: inspect --secrets exit $rc, not 1: $out"
    grep -qF "/app/$path: looks like a secret (rule $rule): " <<<"$out" ||
        fail "$rule: inspect --secrets does not name /app/$path: $out"
    [ "$(grep -c ': looks like a secret (rule' <<<"$out")" = 1 ] || fail "$rule: more than one: $out"
    echo "ok   $rule: /app/$path refused, allowed by allow_secrets, found by inspect"
}

case_rule private-key server.key 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out server.key 2>/dev/null'
case_rule private-key tls/ec.pem 'mkdir tls && openssl ecparam -name prime256v1 -genkey -noout -out tls/ec.pem'
case_rule pgp-private-key keys/signing.asc 'mkdir keys && printf "%s\n\nlQVYBGV\n" "$PGP" > keys/signing.asc'
case_rule ssh-key deploy/id_ed25519 'mkdir deploy && ssh-keygen -q -t ed25519 -N "" -C t -f deploy/id_ed25519'
case_rule dotenv .env 'printf "DATABASE_URL=postgres://u:p@db/app\n" > .env'
case_rule dotenv .env.production 'printf "A=1\n" > .env.production'
case_rule aws-credentials .aws/credentials 'mkdir .aws && printf "[default]\naws_secret_access_key = x\n" > .aws/credentials'
case_rule docker-config .docker/config.json 'mkdir .docker && printf "{\"auths\": {\"registry.example\": {\"auth\": \"dTpw\"}}}\n" > .docker/config.json'
case_rule netrc .netrc 'printf "machine example.com login u password hunter2\n" > .netrc'
case_rule git src/.git 'mkdir src && git -C src init -q && echo x > src/f && git -C src add f'
case_rule shell-history .bash_history 'printf "export TOKEN=x\n" > .bash_history'
case_rule aws-access-key settings.ini 'printf "[s3]\nkey = %s\n" "$AKID" > settings.ini'
case_rule github-token ci/deploy.sh 'mkdir ci && printf "#!/bin/sh\nTOKEN=%s\n" "$GHP" > ci/deploy.sh'
case_rule slack-token bot.js 'printf "const t = \"%s\";\n" "$SLACK" > bot.js'
case_rule google-api-key static/maps.html 'mkdir static && printf "<script src=\"https://maps.example/js?key=%s\"></script>\n" "$GKEY" > static/maps.html'

# Public material and templates pass: a public key (id_ed25519.pub beside no private key),
# a certificate, a .env template, a docker config without credentials, a .netrc without a
# password, .github and .gitignore.
rm -rf "$P/conf" "$W/img.tar"
mkdir -p "$P/conf/.ssh" "$P/conf/.docker" "$P/conf/.github/workflows"
ssh-keygen -q -t ed25519 -N '' -C t -f "$W/k" && cp "$W/k.pub" "$P/conf/.ssh/id_ed25519.pub"
cp "$W/k.pub" "$P/conf/.ssh/authorized_keys"
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$W/cert.key" -subj /CN=t -days 1 -out "$P/conf/cert.pem" 2>/dev/null
openssl pkey -in "$W/cert.key" -pubout -out "$P/conf/pub.pem"
printf 'DATABASE_URL=\n' > "$P/conf/.env.example"
printf '{"credsStore": "pass", "auths": {"r.example": {}}}\n' > "$P/conf/.docker/config.json"
printf 'machine example.com login anonymous\n' > "$P/conf/.netrc"
printf 'on: push\n' > "$P/conf/.github/workflows/ci.yml"
printf 'build/\n' > "$P/conf/.gitignore"
spec
build "$W/img.tar" || fail "public material: build refused: $(cat "$W/err")"
! grep -q 'looks like a secret' "$W/err" || fail "public material: $(cat "$W/err")"
out=$("$DISTILL" inspect --secrets "$W/img.tar") || fail "public material: inspect --secrets: $out"
grep -qx '0 of [0-9]* files look like secrets' <<<"$out" || fail "public material: $out"
echo "ok   public keys, certificates, templates and credential-less configs pass"

# A project script given as a binary is the user's too.
rm -rf "$P/conf" && mkdir -p "$P/conf"
printf '#!/bin/sh\ncurl -H "Authorization: token %s" https://api.example/\n' "$GHP" > "$P/deploy.sh"
chmod 755 "$P/deploy.sh"
spec
printf 'binaries:\n  - {path: ./deploy.sh, dst: /app/deploy.sh}\n' >> "$P/app.yaml"
rc=0; build "$W/img.tar" || rc=$?
[ "$rc" = 1 ] && grep -qF "/app/deploy.sh: looks like a secret (rule github-token): line 2: " "$W/err" ||
    fail "binary script: exit $rc: $(cat "$W/err")"
! grep -qF "$GHP" "$W/err" || fail "the message shows the token itself"
echo "ok   a project script in binaries with a token is refused (the token is not printed)"
rm -f "$P/deploy.sh"

# inspect --secrets --json on an OCI layout of two layers: the lower one has /app/.env and
# /etc/old.key, the upper one whites out /etc/old.key and adds /root/.bash_history.
python3 - "$W/two.oci" "$AKID" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out, akid = sys.argv[1], sys.argv[2]
os.makedirs(f"{out}/blobs/sha256")
def blob(b):
    d = hashlib.sha256(b).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(b)
    return "sha256:" + d, len(b)
def layer(files):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            if data is None:
                ti.type = tarfile.DIRTYPE; ti.mode = 0o755
                t.addfile(ti)
            else:
                ti.size = len(data); ti.mode = 0o644
                t.addfile(ti, io.BytesIO(data))
    raw = bio.getvalue()
    z = gzip.compress(raw, mtime=0)
    d, n = blob(z)
    return {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n}, \
        "sha256:" + hashlib.sha256(raw).hexdigest()
key = b"-----BEGIN EC PRIV" + b"ATE KEY-----\nMHcCAQEE\n-----END EC PRIV" + b"ATE KEY-----\n"
l1, d1 = layer([("app", None), ("app/.env", b"A=1\n"), ("etc", None), ("etc/old.key", key),
                ("app/conf.ini", b"id = " + akid.encode() + b"\n")])
l2, d2 = layer([("etc", None), ("etc/.wh.old.key", b""), ("root", None),
                ("root/.bash_history", b"ls\n")])
cfg = {"architecture": "amd64", "os": "linux", "config": {},
       "rootfs": {"type": "layers", "diff_ids": [d1, d2]}}
cd, cn = blob(json.dumps(cfg).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
       "layers": [l1, l2]}
md, mn = blob(json.dumps(man).encode())
json.dump({"imageLayoutVersion": "1.0.0"}, open(f"{out}/oci-layout", "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": mn}]}, open(f"{out}/index.json", "w"))
PY
rc=0
"$DISTILL" inspect --secrets --json "$W/two.oci" > "$W/two.json" || rc=$?
[ "$rc" = 1 ] || fail "inspect --secrets --json: exit $rc"
python3 - "$W/two.json" "$W/two.oci" <<'PY' || fail "inspect --secrets --json: $(cat "$W/two.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["image"] == sys.argv[2], d["image"]
assert d["files"] >= 6, d["files"]
got = [(s["path"], s["rule"]) for s in d["secrets"]]
assert got == [("/app/.env", "dotenv"), ("/app/conf.ini", "aws-access-key"),
               ("/root/.bash_history", "shell-history")], got
assert all(s["why"] for s in d["secrets"])
assert "line 1" in d["secrets"][1]["why"]
PY
out=$("$DISTILL" inspect --secrets "$W/two.oci") && fail "inspect --secrets: exit 0"
grep -q '^3 of [0-9]* files look like secrets$' <<<"$out" || fail "inspect --secrets: $out"
! grep -q old.key <<<"$out" || fail "inspect --secrets: a whited-out file is named: $out"
rc=0; "$DISTILL" inspect --secrets "$W/missing.oci" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "inspect --secrets on a missing image: exit $rc, not 2"
echo "ok   inspect --secrets --json: the merged view's secrets, a whited-out key not among them; 2 on error"

# No image of specs/ trips a rule: each builds (its secret check passes) and inspect
# --secrets on the whole image (packages, libraries and all) finds nothing.
cp -r "$repo/specs" "$W/specs"
cc -static -O2 -o "$W/specs/apps/static/hello" "$W/specs/apps/static/hello.c"
cp "$DISTILL" "$W/specs/apps/distill/distill"
n=0 want=10 all=("$W"/specs/*.yaml "$W"/specs/apps/*.yaml)
# the light variant (valgrind twin): two of them
[ -z "${DISTILL_TEST_LIGHT:-}" ] || { all=("$W/specs/curl.yaml" "$W/specs/apps/static.yaml"); want=2; }
for s in "${all[@]}"; do
    name=$(basename "$s" .yaml)
    if [ "$name" = rust ]; then
        command -v cargo >/dev/null && (cd "$W/specs/apps/rust" && cargo build -q --release --offline 2>/dev/null) ||
            { echo "     skipped: rust needs cargo"; continue; }
    fi
    "$DISTILL" build -q --no-lock --no-check --format rootfs --compression none "$s" -o "$W/spec.tar" 2> "$W/err" ||
        fail "spec $name: build: $(cat "$W/err")"
    ! grep -q 'looks like a secret' "$W/err" || fail "spec $name: $(cat "$W/err")"
    out=$("$DISTILL" inspect --secrets "$W/spec.tar") || fail "spec $name: inspect --secrets: $out"
    n=$((n + 1))
done
[ "$n" -ge "$want" ] || fail "only $n specs checked"
echo "ok   no image of the $n specs in specs/ trips a secret rule"
