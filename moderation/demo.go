package moderation

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// DemoAccount is an account the demo creates, with its password.
type DemoAccount struct {
	Username string
	Password string
	Role     forum.Role
}

type demoThread struct {
	category string // slug
	author   string
	title    string
	body     string
	replies  []demoReply
}

type demoReply struct {
	author string
	body   string
}

var demoCategories = []forum.NewCategory{
	{Name: "Annonces", Slug: "annonces", Description: "Les nouvelles de la communauté, publiées par l’équipe.", Position: 1, ReadOnly: true},
	{Name: "Présentations", Slug: "presentations", Description: "Nouveau ou nouvelle ? Dites-nous qui vous êtes et ce qui vous amène.", Position: 2},
	{Name: "Entraide", Slug: "entraide", Description: "Une question, un blocage ? Les membres s’entraident ici.", Position: 3},
	{Name: "Discussions libres", Slug: "discussions-libres", Description: "Tout ce qui ne rentre pas ailleurs, dans le respect de la charte.", Position: 4},
	{Name: "Suggestions", Slug: "suggestions", Description: "Vos idées pour faire grandir la communauté.", Position: 5},
}

var demoMembers = []struct {
	name, email string
	role        forum.Role
	trust       int
}{
	{"camille", "camille@example.org", forum.RoleAdmin, forum.TrustLeader},
	{"lea_modo", "lea@example.org", forum.RoleModerator, forum.TrustRegular},
	{"jeanne", "jeanne@example.org", forum.RoleMember, forum.TrustMember},
	{"karim", "karim@example.org", forum.RoleMember, forum.TrustBasic},
	{"sophie", "sophie@example.org", forum.RoleMember, forum.TrustNew},
}

var demoThreads = []demoThread{
	{"annonces", "camille", "Bienvenue sur le forum !",
		"Bonjour à toutes et à tous,\n\nCe forum est **votre** espace : posez vos questions, partagez vos trouvailles, aidez les nouveaux venus.\n\nAvant de vous lancer, prenez deux minutes pour lire la [charte de la communauté](/guidelines). Elle tient en quelques principes :\n\n- on se respecte, même en désaccord ;\n- on reste dans le sujet ;\n- pas de publicité ni de spam.\n\nL’équipe de modération (@lea_modo et moi-même) veille au grain. Bonne discussion !",
		[]demoReply{{"jeanne", "Merci Camille, et bravo pour le lancement !"}}},
	{"presentations", "karim", "Bonjour, je suis Karim",
		"Salut tout le monde ! Je m’appelle Karim, je suis développeur à Lyon et je découvre le community management. J’espère apprendre plein de choses ici.",
		[]demoReply{
			{"jeanne", "Bienvenue Karim ! Tu verras, l’ambiance est très bonne. N’hésite pas à passer dans *Entraide*."},
			{"lea_modo", "Bienvenue parmi nous @karim 👋"},
		}},
	{"entraide", "sophie", "Comment mesurer l’engagement d’une communauté ?",
		"Bonjour,\n\nJe dois présenter à ma direction des indicateurs sur notre communauté. Par quoi commencer ? Nombre de messages, de membres actifs, temps de réponse… je m’y perds un peu.",
		[]demoReply{
			{"jeanne", "Je regarderais d’abord trois choses :\n\n1. le nombre de membres **actifs** (qui ont posté dans le mois), pas seulement inscrits ;\n2. le temps moyen avant la première réponse à un nouveau sujet ;\n3. la part de sujets qui restent sans réponse.\n\nLe reste vient ensuite."},
			{"camille", "[quote=jeanne]\nle temps moyen avant la première réponse à un nouveau sujet\n[/quote]\n\nC’est l’indicateur que je suis en priorité : un nouveau membre qui n’obtient pas de réponse ne revient pas."},
		}},
	{"discussions-libres", "jeanne", "Vos lectures du moment ?",
		"Je viens de finir un essai passionnant sur l’histoire des forums en ligne, des BBS à aujourd’hui. Et vous, vous lisez quoi ?",
		[]demoReply{{"karim", "Un polar islandais, très sombre. Parfait pour l’hiver !"}}},
	{"suggestions", "karim", "Un fil mensuel « Quoi de neuf ? »",
		"Et si on ouvrait chaque mois un fil où chacun raconte ses projets en cours ? Ça aiderait les membres discrets à prendre la parole.",
		nil},
}

// SeedDemo fills an empty database with a small French-speaking community:
// categories, members (an admin, a moderator, members of several trust
// levels), threads and replies, every text through the pipeline. It returns
// the accounts it made with their passwords, which are random.
func SeedDemo(ctx context.Context, db *forum.DB, p *Pipeline) ([]DemoAccount, error) {
	sys := forum.WithSystem(ctx)
	n, err := db.CountMembers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, forum.Errorf(forum.ECONFLICT, "demo.not_empty", nil)
	}
	members := map[string]*forum.Member{}
	var accounts []DemoAccount
	for _, dm := range demoMembers {
		pw, _, err := forum.NewToken("")
		if err != nil {
			return nil, err
		}
		m, err := db.CreateMember(sys, forum.NewMember{Username: dm.name, Email: dm.email, Password: pw, Role: dm.role, TrustLevel: dm.trust})
		if err != nil {
			return nil, fmt.Errorf("demo member %s: %w", dm.name, err)
		}
		members[dm.name] = m
		accounts = append(accounts, DemoAccount{Username: m.Username, Password: pw, Role: m.Role})
	}
	cats := map[string]int64{}
	for _, nc := range demoCategories {
		c, err := db.CreateCategory(sys, nc)
		if err != nil {
			return nil, fmt.Errorf("demo category %s: %w", nc.Name, err)
		}
		cats[c.Slug] = c.ID
	}
	for _, dt := range demoThreads {
		as := forum.WithMember(ctx, members[dt.author])
		out, err := p.SubmitThread(as, ThreadSubmission{CategoryID: cats[dt.category], Title: dt.title, Body: dt.body})
		if err != nil {
			return nil, fmt.Errorf("demo thread %q: %w", dt.title, err)
		}
		for _, r := range dt.replies {
			as := forum.WithMember(ctx, members[r.author])
			if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: out.Thread.ID, Body: r.body}); err != nil {
				return nil, fmt.Errorf("demo reply in %q: %w", dt.title, err)
			}
		}
	}
	// The demo's members are fictional: the notifications of its history
	// stay in the app, their mails are not sent (nor logged at start-up).
	ids := make([]int64, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	if _, err := db.ExecContext(sys, `DELETE FROM outbox WHERE recipient IN (SELECT email FROM members WHERE id = ANY($1))`, pq.Array(ids)); err != nil {
		return nil, forum.Internal("dropping the demo's mail", err)
	}
	return accounts, nil
}
