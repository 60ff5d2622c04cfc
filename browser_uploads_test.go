package main

// Browser journey of uploads (issue 23): a picture chosen with the post
// form's button and one pasted into the text are uploaded and inserted as
// Markdown, and the published post shows them.

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

func TestBrowserUploadPicturesIntoAPost(t *testing.T) {
	ts := startServer(t)
	name, password := newMember(t, "photographe")
	j := newJourney(t)
	j.logIn(name, password)

	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := range 80 {
		for x := range 120 {
			img.Set(x, y, color.RGBA{uint8(x * 2), 160, uint8(y * 3), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "potager.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	j.do("opening the new thread form",
		chromedp.Navigate(ts.URL+"/c/discussions-libres/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-body")))
	if got := j.text("form .upload-button"); got != "Joindre un fichier" {
		t.Fatalf("the form's upload button reads %q", got)
	}
	// The file input of the form without JavaScript is the button's picker,
	// out of sight.
	if !eval[bool](j, `document.querySelector(".upload-field").hidden && document.querySelectorAll('form input[type="file"]').length === 1`) {
		t.Fatal("with JavaScript, the form's own file input is still shown, or a second one was added")
	}
	j.do("choosing a picture",
		chromedp.SendKeys(chromedp.CSS("#f-body"), "Voici le potager :"),
		chromedp.SetUploadFiles(chromedp.CSS(`form input[type="file"]`), []string{file}),
		chromedp.Poll[chromedp.Void](`document.querySelector("#f-body").value.includes("](/uploads/")`))
	body := eval[string](j, `document.querySelector("#f-body").value`)
	if !regexp.MustCompile(`^Voici le potager :\n!\[potager\]\(/uploads/[0-9a-f]{64}\.png\)$`).MatchString(body) {
		t.Fatalf("after choosing a picture, the text is %q", body)
	}

	// A picture pasted into the text (drawn on a canvas) goes the same way.
	j.do("pasting a picture",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const c = document.createElement("canvas");
			c.width = 30; c.height = 20;
			const g = c.getContext("2d");
			g.fillStyle = "#2a7"; g.fillRect(0, 0, 30, 20);
			c.toBlob(b => {
				const dt = new DataTransfer();
				dt.items.add(new File([b], "collage.png", {type: "image/png"}));
				document.querySelector("#f-body").dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
			});
		})()`),
		chromedp.Poll[chromedp.Void](`document.querySelector("#f-body").value.includes("![collage](/uploads/")`))
	j.checkPage("the new thread form after uploads", "upload-form")

	title := forumtest.Unique("Photos du potager n° ")
	j.do("publishing",
		chromedp.SendKeys(chromedp.CSS("#f-title"), title),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/new"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".post-body img")),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll(".post-body img")].every(i => i.complete && i.naturalWidth > 0)`))
	sizes := eval[[]int](j, `[...document.querySelectorAll(".post-body img")].map(i => i.naturalWidth)`)
	if len(sizes) != 2 || sizes[0] != 120 || sizes[1] != 30 {
		t.Fatalf("the post shows images of widths %v, want [120 30]", sizes)
	}
	j.checkPage("a thread with uploaded pictures", "upload-thread")
}
