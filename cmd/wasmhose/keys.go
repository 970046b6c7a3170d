package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wasmhose/wasmhose/host/config"
	"github.com/wasmhose/wasmhose/host/crypt"
)

// keysHelp is the help of `wasmhose keys`.
const keysHelp = `usage: wasmhose keys <command> [flags]

Manages the keyring of a data dir (<data-dir>/keys), the local stand-in for
AWS KMS. A key is created the first time a KMS key ARN is used: by a stream
with KMSEncryptionConfig on the local store, or by StartDeliveryStreamEncryption
(an AWS owned key is the entry ` + crypt.AWSOwnedKeyARN + `).

commands:
  list    [--data-dir DIR] [--json]
          list the keys: id, ARN, versions
  rotate  [--data-dir DIR] ARN
          add a version to ARN's key; new data uses it, old data still decrypts

A running service picks up a rotation for each object it encrypts from then
on; an encrypted stream's log switches to the new version the next time its
encryption is started or the service starts.

Exit status: 0 on success, 1 on failure, 2 on a usage error.
`

// runKeys is `wasmhose keys`.
func runKeys(args []string, stdout, stderr io.Writer) int {
	return dispatch("keys", keysHelp, []command{
		{"list", "list the keys", runKeysList},
		{"rotate", "add a version to a key", runKeysRotate},
	}, args, stdout, stderr)
}

// keysFlags returns the flag set of a keys or decrypt command, with its
// --data-dir flag.
func keysFlags(name, synopsis, about string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmhose %s\n\n%s\nflags:\n", synopsis, about)
		fs.PrintDefaults()
	}
	dataDir := fs.String("data-dir", config.DefaultDataDir, "data folder; keys live in its "+crypt.DirName+"/ folder")
	return fs, dataDir
}

func runKeysList(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose keys list"
	fs, dataDir := keysFlags("keys list", "keys list [--data-dir DIR] [--json]", "Lists the keys of the keyring.\n", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", prog, pos)
		return 2
	}
	k, err := crypt.OpenKeyring(filepath.Join(*dataDir, crypt.DirName))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	keys, err := k.List()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	if *asJSON {
		type version struct {
			Version uint32    `json:"version"`
			Created time.Time `json:"created"`
		}
		type key struct {
			ID       string    `json:"id"`
			ARN      string    `json:"arn"`
			Current  uint32    `json:"current"`
			Versions []version `json:"versions"`
		}
		out := []key{}
		for _, ki := range keys {
			j := key{ID: ki.ID, ARN: ki.ARN, Current: ki.Current()}
			for _, v := range ki.Versions {
				j.Versions = append(j.Versions, version{v.Version, v.Created.UTC()})
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCURRENT\tVERSIONS\tROTATED\tARN")
	for _, ki := range keys {
		last := ki.Versions[len(ki.Versions)-1].Created.UTC().Format(time.RFC3339)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", ki.ID, ki.Current(), len(ki.Versions), last, ki.ARN)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	return 0
}

func runKeysRotate(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose keys rotate"
	fs, dataDir := keysFlags("keys rotate", "keys rotate [--data-dir DIR] ARN",
		"Adds a version to the key of ARN. Data encrypted from now on uses it; data\nencrypted before keeps decrypting with the older versions, which are kept.\n", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "%s: give one key ARN\n", prog)
		return 2
	}
	k, err := crypt.OpenKeyring(filepath.Join(*dataDir, crypt.DirName))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	info, err := k.Rotate(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	fmt.Fprintf(stdout, "rotated %s (key %s): version %d is current, %d kept\n", info.ARN, info.ID, info.Current(), len(info.Versions))
	return 0
}

// decryptAbout is the help of `wasmhose decrypt`.
const decryptAbout = `Restores the plaintext of an object the local store encrypted (a stream with
KMSEncryptionConfig), using the data dir's keyring. The object is a file path
or s3://BUCKET/KEY, the file <data-dir>/s3/BUCKET/KEY.

With -o, the file appears only once the whole object has decrypted and
authenticated. To standard output the plaintext streams, and damage found
later (a truncated or altered object) ends the command with status 1.
`

// runDecrypt is `wasmhose decrypt`.
func runDecrypt(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose decrypt"
	fs, dataDir := keysFlags("decrypt", "decrypt [--data-dir DIR] (PATH | s3://BUCKET/KEY) [-o OUT]", decryptAbout, stderr)
	out := fs.String("o", "", "write the plaintext to this file instead of standard output")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "%s: give one object (a path or s3://BUCKET/KEY)\n", prog)
		return 2
	}
	path, err := objectPath(*dataDir, pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 2
	}
	k, err := crypt.OpenKeyring(filepath.Join(*dataDir, crypt.DirName))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	if err := decryptFile(k, path, *out, stdout); err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", prog, pos[0], err)
		return 1
	}
	return 0
}

// objectPath resolves a decrypt argument to a file.
func objectPath(dataDir, arg string) (string, error) {
	rest, ok := strings.CutPrefix(arg, "s3://")
	if !ok {
		return arg, nil
	}
	bucket, key, ok := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", fmt.Errorf("%q: want s3://BUCKET/KEY", arg)
	}
	rel := filepath.Join(bucket, filepath.FromSlash(key))
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%q: not a key inside the bucket", arg)
	}
	return filepath.Join(dataDir, "s3", rel), nil
}

// decryptFile decrypts the file at path into out (a file written
// atomically), or to stdout when out is empty.
func decryptFile(k *crypt.Keyring, path, out string, stdout io.Writer) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := crypt.NewReader(f, k)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = io.Copy(stdout, r)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	err = os.Rename(tmp.Name(), out)
	return err
}
