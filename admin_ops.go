package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
	"github.com/palabre/palabre/server"
)

// What an operator does without SQL (issue 26): every command acts as the
// system, through the same domain functions as the admin pages, so that
// each change is checked and written to the moderation log as theirs are.

var adminSubcommands = []string{"create-member", "token", "set-role", "lift-sanction", "reset-password",
	"reindex-search", "export-rules", "import-rules", "move-uploads"}

// withDB opens the database, checks its schema is current, and runs fn as
// the system.
func withDB(ctx context.Context, cfg server.Config, log *slog.Logger, fn func(ctx context.Context, db *forum.DB) error) error {
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureSchema(db, true, log); err != nil {
		return err
	}
	if err := fn(forum.WithSystem(ctx), db); err != nil {
		return describe(err, cfg.Locale)
	}
	return nil
}

// memberNamed finds a member by username for a command.
func memberNamed(ctx context.Context, db *forum.DB, username string) (*forum.Member, error) {
	return db.MemberByUsername(ctx, username)
}

func cmdSetRole(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin set-role")
	username := fs.String("username", "", "")
	role := fs.String("role", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" || *role == "" {
		return usageError{"admin set-role: --username and --role (member, moderator or admin) are required"}
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		m, err := memberNamed(ctx, db, *username)
		if err != nil {
			return err
		}
		if err := db.SetRole(ctx, m.ID, forum.Role(*role)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is now %s\n", m.Username, *role)
		return nil
	})
}

func cmdLiftSanction(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin lift-sanction")
	username := fs.String("username", "", "")
	kind := fs.String("kind", "", "")
	reason := fs.String("reason", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" || *kind == "" || *reason == "" {
		return usageError{"admin lift-sanction: --username, --kind (silence, suspension or ban) and --reason are required"}
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		m, err := memberNamed(ctx, db, *username)
		if err != nil {
			return err
		}
		if err := db.LiftSanction(ctx, m.ID, *kind, *reason); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "lifted the %s of %s\n", *kind, m.Username)
		return nil
	})
}

func cmdResetPassword(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin reset-password")
	username := fs.String("username", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return usageError{"admin reset-password: --username is required"}
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		m, err := memberNamed(ctx, db, *username)
		if err != nil {
			return err
		}
		token, err := db.IssuePasswordReset(ctx, m.ID)
		if err != nil {
			return err
		}
		link := cfg.BaseURL.JoinPath("password", "reset")
		link.RawQuery = url.Values{"token": {token}}.Encode()
		fmt.Fprintf(stdout, "give %s this link, valid %s, by a way you trust:\n%s\n", m.Username, shortDuration(forum.ResetPasswordTokenLifetime), link)
		return nil
	})
}

// shortDuration writes 1h rather than 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

func cmdReindexSearch(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin reindex-search")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		r, queued, err := db.QueueSearchRebuild(ctx)
		if err != nil {
			return err
		}
		if !queued {
			fmt.Fprintln(stdout, "a search rebuild is already waiting: nothing added")
			return nil
		}
		fmt.Fprintf(stdout, "queued the search rebuild of the posts up to #%d and the messages up to #%d: a running server does it in the background (its log says when it is done)\n",
			r.PostsUpto, r.MessagesUpto)
		return nil
	})
}

func cmdExportRules(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin export-rules")
	file := fs.String("file", "-", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		rules, err := moderation.NewPipeline(db).ExportRules(ctx)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(rules, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if *file == "-" {
			_, err = stdout.Write(b)
			return err
		}
		return os.WriteFile(*file, b, 0o644)
	})
}

func cmdImportRules(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("admin import-rules")
	file := fs.String("file", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usageError{"admin import-rules: --file is required (- for standard input)"}
	}
	var raw []byte
	var err error
	if *file == "-" {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("reading the rules: %w", err)
	}
	var f moderation.RuleFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("the rules file is not valid JSON: %w", err)
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		res, err := moderation.NewPipeline(db).ImportRules(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rules: %d added, %d replaced, %d unchanged\n", res.Created, res.Replaced, res.Unchanged)
		return nil
	})
}

// cmdMoveUploads moves the uploads' bytes a forum kept in PostgreSQL
// before it was given an object store into that store: the database
// shrinks by as much (after a VACUUM), the files stay at their addresses.
func cmdMoveUploads(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin move-uploads")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.UploadsS3 == nil {
		return usageError{"admin move-uploads: PALABRE_UPLOADS_S3_ENDPOINT (and its bucket and keys) must name the object store to move the files to"}
	}
	return withDB(ctx, cfg, log, func(ctx context.Context, db *forum.DB) error {
		store, err := forum.NewS3BlobStore(ctx, *cfg.UploadsS3)
		if err != nil {
			return err
		}
		db.SetBlobStore(store)
		var size int64
		n, err := db.MoveUploadsToStore(ctx, func(u forum.Upload) {
			size += u.Size
			if log != nil {
				log.Debug("upload moved", "sha256", u.SHA256, "size", u.Size)
			}
		})
		fmt.Fprintf(stdout, "moved %d files (%d bytes) to the bucket %s\n", n, size, cfg.UploadsS3.Bucket)
		return err
	})
}
