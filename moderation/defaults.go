package moderation

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// defaultRule is a rule of the default guideline set: its name and
// description by language, what it watches and what it does.
type defaultRule struct {
	name, description map[string]string
	kind, action      string
	patterns          []string
	exceptions        []string // dictionary words that hold a watched one and mean something else
	params            RuleParams
}

// defaultRules are the rules a new community starts with. The watched
// words are those a French-speaking community meets, in French and in
// English; each list is short on purpose (admins add their own) and
// avoids words with an innocent everyday meaning ("crève" is also a cold,
// "raton" a young rat, "retard" a delay). Insults are held for a
// moderator rather than refused: context matters ("à la con" among
// friends). Slurs are refused.
var defaultRules = []defaultRule{
	{
		name: map[string]string{"fr": "Insultes", "en": "Insults"},
		description: map[string]string{
			"fr": "Pas d’insultes ni d’attaques personnelles : on débat des idées, pas des personnes.",
			"en": "No insults or personal attacks: we debate ideas, not people.",
		},
		kind: KindWords, action: ActionHold,
		patterns: []string{
			"con", "conne", "connard*", "connasse", "pauvre con", "salope", "salaud", "pute", "fils de pute", "fdp",
			"enculé*", "enfoiré*", "bâtard*", "batard*", "ordure", "pétasse", "pouffiasse", "grognasse",
			"sous-merde", "trou du cul", "ta gueule", "ferme ta gueule", "nique ta mère", "ntm", "abruti", "abrutie",
			"tocard*", "asshole", "motherfucker", "fuck you", "bitch", "cunt", "twat", "wanker", "dickhead", "stfu",
		},
	},
	{
		name: map[string]string{"fr": "Propos racistes et haineux", "en": "Racist and hateful speech"},
		description: map[string]string{
			"fr": "Les propos racistes, antisémites, homophobes ou discriminatoires sont interdits.",
			"en": "Racist, antisemitic, homophobic or otherwise discriminatory remarks are forbidden.",
		},
		kind: KindWords, action: ActionBlock,
		patterns: []string{
			"nègre*", "négro", "négresse", "bougnoul*", "bicot", "youpin*", "youtre", "chinetoque", "bamboula",
			"sale arabe", "sale juif", "sale noir", "sale pédé", "pédé", "tarlouze", "gouine", "race inférieure",
			"sous-homme", "nigger", "nigga", "kike", "faggot", "untermensch",
		},
		// Kept in step with migration 0035, which gives them to the rules
		// of existing communities.
		exceptions: []string{"negro spiritual*", "petit nègre", "tête de nègre*"},
	},
	{
		name: map[string]string{"fr": "Incitation à la violence", "en": "Incitement to violence"},
		description: map[string]string{
			"fr": "Menacer quelqu’un ou appeler à la violence ou à la haine est interdit, même sur le ton de la plaisanterie.",
			"en": "Threatening someone or calling for violence or hatred is forbidden, even as a joke.",
		},
		kind: KindWords, action: ActionHold,
		patterns: []string{
			"je vais te tuer", "je vais te buter", "je vais te crever", "on va te retrouver", "va crever",
			"mort aux juifs", "mort aux arabes", "mort aux noirs", "à mort les", "il faut les tuer", "faut tous les tuer", "suicide-toi", "va te pendre",
			"kill yourself", "kys", "i will kill you", "death to",
		},
	},
	{
		name: map[string]string{"fr": "Spam et publicité", "en": "Spam and advertising"},
		description: map[string]string{
			"fr": "Le forum n’est pas un espace publicitaire : les messages commerciaux non sollicités sont relus avant publication.",
			"en": "The forum is not an advertising space: unsolicited commercial posts are reviewed before they are published.",
		},
		kind: KindWords, action: ActionHold,
		patterns: []string{
			"viagra", "cialis", "casino en ligne", "gagnez de l’argent", "gagner de l’argent facilement",
			"argent facile", "prêt entre particuliers", "grand marabout", "retour de l’être aimé", "voyant médium",
			"bitcoin gratuit", "online casino", "make money fast", "free bitcoin", "payday loan", "replica watches",
		},
	},
	{
		name: map[string]string{"fr": "Liens indésirables", "en": "Unwanted links"},
		description: map[string]string{
			"fr": "Les liens raccourcis et les liens rémunérés cachent leur destination : donnez l’adresse complète.",
			"en": "Shortened and paid links hide where they lead: give the full address.",
		},
		kind: KindLinks, action: ActionHold,
		params: RuleParams{BlockDomains: []string{
			"bit.ly", "tinyurl.com", "t.ly", "cutt.ly", "shorturl.at", "is.gd", "rebrand.ly", "adf.ly", "shorte.st", "ouo.io",
		}},
	},
	{
		name: map[string]string{"fr": "Diffamation", "en": "Defamation"},
		description: map[string]string{
			"fr": "N’accusez personne d’un fait grave sans pouvoir le prouver : un modérateur relit ces messages.",
			"en": "Do not accuse anyone of a serious wrong you cannot prove: a moderator reviews these posts.",
		},
		kind: KindWords, action: ActionFlag,
		patterns: []string{
			"escroc*", "arnaqueur*", "arnaqueuse*", "fraudeur*", "pédophile", "violeur", "mafieux",
			"scammer", "fraudster", "pedophile", "paedophile", "rapist",
		},
	},
	{
		name: map[string]string{"fr": "Publicité hors sujet", "en": "Off-topic advertising"},
		description: map[string]string{
			"fr": "Les nouveaux membres publient peu de liens par message, le temps de faire connaissance.",
			"en": "New members post few links per message while we get to know them.",
		},
		kind: KindLinks, action: ActionHold, params: RuleParams{Limit: true},
	},
	{
		name: map[string]string{"fr": "Mentions en masse", "en": "Mass mentions"},
		description: map[string]string{
			"fr": "Mentionner beaucoup de membres à la fois les dérange : le nombre de mentions dépend du niveau de confiance.",
			"en": "Mentioning many members at once disturbs them: the number of mentions depends on the trust level.",
		},
		kind: KindMentions, action: ActionBlock,
	},
	{
		name: map[string]string{"fr": "Rythme de publication", "en": "Posting rate"},
		description: map[string]string{
			"fr": "Le nombre de messages par minute et de nouveaux sujets par jour dépend du niveau de confiance.",
			"en": "The number of posts per minute and of new topics per day depends on the trust level.",
		},
		kind: KindRate, action: ActionBlock,
	},
	{
		name: map[string]string{"fr": "Messages en double", "en": "Duplicate posts"},
		description: map[string]string{
			"fr": "Le même message publié deux fois de suite n’apporte rien à la discussion.",
			"en": "The same post sent twice in a row adds nothing to the discussion.",
		},
		kind: KindDuplicates, action: ActionBlock,
	},
	{
		name: map[string]string{"fr": "Premiers messages", "en": "First posts"},
		description: map[string]string{
			"fr": "Les premiers messages d’un nouveau membre peuvent être relus avant publication (réglage « messages retenus des nouveaux membres »).",
			"en": "A new member’s first posts may be reviewed before they are published (setting “new member held posts”).",
		},
		kind: KindNewMembers, action: ActionHold,
	},
}

// EnsureDefaults gives a new community the default guidelines (version 1 of
// the charter) and rules, in locale ("fr" or "en"; French otherwise). It
// does nothing once there is a rule or a guidelines version, so running it
// at every start, on any number of instances, is safe.
func EnsureDefaults(ctx context.Context, db *forum.DB, locale string) error {
	if _, ok := defaultGuidelines[locale]; !ok {
		locale = "fr"
	}
	sys := forum.WithSystem(ctx)
	defer db.InvalidateGuidelines()
	return db.InTx(sys, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(sys, `SELECT pg_advisory_xact_lock(hashtextextended('palabre.defaults', 0))`); err != nil {
			return forum.Internal("locking the defaults", err)
		}
		var seeded bool
		err := tx.GetContext(sys, &seeded, `SELECT EXISTS (SELECT 1 FROM rules) OR EXISTS (SELECT 1 FROM guideline_versions)`)
		if err != nil {
			return forum.Internal("looking for guidelines", err)
		}
		if seeded {
			return nil
		}
		md := defaultGuidelines[locale]
		html := Sanitize(Render(md, RenderOptions{Document: true}).HTML, false)
		if _, err := forum.PublishGuidelinesTx(sys, tx, md, html, false); err != nil {
			return err
		}
		for _, d := range defaultRules {
			in := RuleInput{Name: d.name[locale], Description: d.description[locale], Kind: d.kind, Action: d.action, Patterns: d.patterns, Exceptions: d.exceptions, Params: d.params}
			r, err := in.normalize()
			if err != nil {
				return forum.Internal("a default rule", err)
			}
			var out Rule
			if err := tx.GetContext(sys, &out, insertRule, r.Name, r.Description, r.Kind, r.Patterns, r.Params, r.Action, r.Enabled, nil, r.Exceptions); err != nil {
				return forum.Internal("storing a default rule", err)
			}
			if err := forum.LogTx(sys, tx, forum.LogEntry{Action: forum.LogRuleCreate, TargetType: "rule", TargetID: &out.ID, After: &out}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(sys, `SELECT pg_notify($1, '')`, ChannelRules); err != nil {
			return forum.Internal("notifying a rule change", err)
		}
		return nil
	})
}
