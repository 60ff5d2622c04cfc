package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/server"
	"github.com/palabre/palabre/templates"
)

func cmdAdmin(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"admin needs a subcommand: " + strings.Join(adminSubcommands, ", ")}
	}
	switch args[0] {
	case "create-member":
		return cmdCreateMember(ctx, cfg, log, args[1:], stdout)
	case "token":
		return cmdToken(ctx, cfg, log, args[1:], stdout)
	case "set-role":
		return cmdSetRole(ctx, cfg, log, args[1:], stdout)
	case "lift-sanction":
		return cmdLiftSanction(ctx, cfg, log, args[1:], stdout)
	case "reset-password":
		return cmdResetPassword(ctx, cfg, log, args[1:], stdout)
	case "reindex-search":
		return cmdReindexSearch(ctx, cfg, log, args[1:], stdout)
	case "export-rules":
		return cmdExportRules(ctx, cfg, log, args[1:], stdout)
	case "import-rules":
		return cmdImportRules(ctx, cfg, log, args[1:], stdin, stdout)
	case "move-uploads":
		return cmdMoveUploads(ctx, cfg, log, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("unknown admin subcommand %q", args[0])}
}

// newFlagSet returns a flag set whose errors come back as usage errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{fs.Name() + ": " + err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func cmdCreateMember(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin create-member")
	username := fs.String("username", "", "")
	email := fs.String("email", "", "")
	role := fs.String("role", "member", "")
	password := fs.String("password", "", "")
	passwordFile := fs.String("password-file", "", "")
	trust := fs.Int("trust-level", 0, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" || *email == "" {
		return usageError{"admin create-member: --username and --email are required"}
	}
	if *password != "" && *passwordFile != "" {
		return usageError{"admin create-member: give --password or --password-file, not both"}
	}
	pw, generated := *password, false
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("reading the password file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	if pw == "" {
		var err error
		if pw, _, err = forum.NewToken(""); err != nil {
			return err
		}
		generated = true
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		m, err := db.CreateMember(ctx, forum.NewMember{
			Username: *username, Email: *email, Password: pw, Role: forum.Role(*role), TrustLevel: *trust,
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s %s (id %d)\n", m.Role, m.Username, m.ID)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", pw)
		}
		return nil
	})
}

func cmdToken(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin token")
	username := fs.String("username", "", "")
	name := fs.String("name", "command line", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return usageError{"admin token: --username is required"}
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		m, err := memberNamed(ctx, db, *username)
		if err != nil {
			return err
		}
		token, err := db.CreateAPIToken(ctx, m.ID, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	})
}

// describe turns a domain error into a sentence for the command line, in
// the site's language, from the same catalogues as the pages.
func describe(err error, locale string) error {
	fe := forum.AsError(err)
	if fe.Code == forum.EINTERNAL {
		return err
	}
	cat, cerr := server.LoadCatalog(templates.FS, "locales", locale)
	if cerr != nil {
		return err
	}
	msg := cat.Lang(locale).Msg(fe.Key, fe.Args)
	if fe.Field != "" {
		msg = "--" + strings.ReplaceAll(fe.Field, "_", "-") + ": " + msg
	}
	return errors.New(msg)
}
