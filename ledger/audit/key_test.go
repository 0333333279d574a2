package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys", "yrd-battery")
	path := filepath.Join(dir, "ledger.key")
	name := Origin("yrd-battery")

	s, vkey, created, err := LoadOrCreateKey(path, name)
	if err != nil {
		t.Fatalf("LoadOrCreateKey: %v", err)
	}
	if !created {
		t.Error("created = false for a key file that did not exist")
	}
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{path, 0o600}, {dir, 0o700}} {
		info, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != f.mode {
			t.Errorf("%s has mode %04o, want %04o", f.path, got, f.mode)
		}
	}
	if s.Name() != name {
		t.Errorf("signer name %q, want %q", s.Name(), name)
	}
	if !strings.HasPrefix(vkey, name+"+") {
		t.Errorf("vkey %q does not start with the key name", vkey)
	}

	// The vkey checks what the signer signs.
	v, err := LoadVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	c := Checkpoint{Origin: name, Size: 8, Root: knownRoot()}
	msg, err := Sign(c, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenCheckpoint(msg, v); err != nil {
		t.Errorf("the new key's vkey does not verify its signature: %v", err)
	}

	// Loading again gives the same key.
	s2, vkey2, created, err := LoadOrCreateKey(path, name)
	if err != nil {
		t.Fatalf("LoadOrCreateKey again: %v", err)
	}
	if created {
		t.Error("created = true for an existing key file")
	}
	if vkey2 != vkey || s2.KeyHash() != s.KeyHash() {
		t.Errorf("loaded key %s, created %s", vkey2, vkey)
	}
	msg2, err := Sign(c, s2)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg2) != string(msg) {
		t.Errorf("the loaded key signs differently from the one created:\n%s\n%s", msg2, msg)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("key directory holds %d files, want the key alone", len(entries))
	}
}

// TestLoadKeyFromNoteSkey: a key file written by anything else that writes
// note skeys (here the test key) loads, and its vkey is derived right.
func TestLoadKeyFromNoteSkey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m01.key")
	if err := os.WriteFile(path, []byte(m01Skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, vkey, created, err := LoadOrCreateKey(path, "member/M01")
	if err != nil || created {
		t.Fatalf("LoadOrCreateKey = created %v, %v", created, err)
	}
	if vkey != m01Vkey {
		t.Errorf("vkey %s, want %s", vkey, m01Vkey)
	}
}

func TestLoadOrCreateKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil { // WriteFile's mode goes through the umask
			t.Fatal(err)
		}
		return path
	}
	readable := write("readable.key", m01Skey+"\n", 0o644)
	groupReadable := write("group.key", m01Skey+"\n", 0o640)
	notAKey := write("not-a-key", "a secret that must not be echoed\n", 0o600)
	otherName := write("m02.key", m02Skey+"\n", 0o600)
	aDir := filepath.Join(dir, "a-directory")
	if err := os.Mkdir(aDir, 0o700); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path, keyName, want string
	}{
		{"readable by all", readable, "member/M01",
			fmt.Sprintf("key file %s has mode 0644: a signing key must be readable and writable by its owner only (chmod 600 %s)", readable, readable)},
		{"readable by the group", groupReadable, "member/M01",
			fmt.Sprintf("key file %s has mode 0640: a signing key must be readable and writable by its owner only (chmod 600 %s)", groupReadable, groupReadable)},
		{"not a key", notAKey, "member/M01",
			fmt.Sprintf("key file %s does not hold a note signing key: malformed verifier id", notAKey)},
		{"another key's name", otherName, "member/M01",
			fmt.Sprintf(`key file %s holds the key of "member/M02", not of "member/M01"`, otherName)},
		{"a directory", aDir, "member/M01",
			fmt.Sprintf("key file %s is not a regular file (mode drwx------)", aDir)},
		{"a name with a space", filepath.Join(dir, "new.key"), "member M01",
			`key name "member M01": must be non-empty UTF-8 without spaces or '+'`},
		{"a name with a plus", filepath.Join(dir, "new.key"), "member+M01",
			`key name "member+M01": must be non-empty UTF-8 without spaces or '+'`},
		{"no name", filepath.Join(dir, "new.key"), "", `key name "": must be non-empty UTF-8 without spaces or '+'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := LoadOrCreateKey(tc.path, tc.keyName)
			if err == nil {
				t.Fatal("LoadOrCreateKey accepted it")
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "new.key")); err == nil {
		t.Error("a key was created under an invalid name")
	}
}

// TestLoadOrCreateKeyRace: two processes starting at once end up with one key.
func TestLoadOrCreateKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "ledger.key")
	vkeys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range vkeys {
		wg.Go(func() {
			_, vkey, _, err := LoadOrCreateKey(path, "alliance-ledger/race")
			if err != nil {
				t.Error(err)
			}
			vkeys[i] = vkey
		})
	}
	wg.Wait()
	for _, v := range vkeys[1:] {
		if v != vkeys[0] {
			t.Fatalf("concurrent LoadOrCreateKey returned different keys: %q", vkeys)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("key directory holds %d files, want the key alone", len(entries))
	}
}

func TestLoadVerifier(t *testing.T) {
	v, err := LoadVerifier("  " + m01Vkey + "\n")
	if err != nil {
		t.Fatalf("LoadVerifier with surrounding space: %v", err)
	}
	if v.Name() != "member/M01" || v.KeyHash() != 0xb2545515 {
		t.Errorf("verifier %s+%08x", v.Name(), v.KeyHash())
	}
	for _, bad := range []string{
		"",
		"member/M01",
		strings.Replace(m01Vkey, "b2545515", "b2545516", 1), // hash not of this key
		m01Skey, // the private key is not a verifier key
	} {
		if _, err := LoadVerifier(bad); err == nil {
			t.Errorf("LoadVerifier(%q) accepted it", bad)
		} else if !strings.HasPrefix(err.Error(), "verifier key") {
			t.Errorf("LoadVerifier(%q): error %q does not say what it is about", bad, err)
		} else if strings.Contains(err.Error(), "PRIVATE") {
			t.Errorf("LoadVerifier(%q): error %q repeats a private key", bad, err)
		}
	}
	var _ note.Verifier = v
}
