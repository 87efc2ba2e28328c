package counterpart

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestPomForListsEveryCoordinateWithItsClassifier(t *testing.T) {
	got := string(pomFor("x", []string{"a:b:1", "c:d:2:tests"}))
	for _, want := range []string{
		"<groupId>a</groupId><artifactId>b</artifactId><version>1</version></dependency>",
		"<groupId>c</groupId><artifactId>d</artifactId><version>2</version><classifier>tests</classifier></dependency>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("pom lacks %s:\n%s", want, got)
		}
	}
}

func TestPomForBringsAnArtifactMarkedAtJarWithoutItsDependencies(t *testing.T) {
	got := string(pomFor("x", []string{"a:b:1@jar", "c:d:2"}))
	want := "<version>1</version><exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>"
	if !strings.Contains(got, want) || strings.Count(got, "<exclusions>") != 1 || strings.Contains(got, "@jar") {
		t.Errorf("pom does not exclude exactly a:b's dependencies:\n%s", got)
	}
}

func TestStopEndsTheProcessGroupItStarted(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// The shell starts a child; stopping the group must end both.
	p := Start(t, exec.Command(sh, "-c", "sleep 300 & wait"))
	time.Sleep(100 * time.Millisecond)
	p.Stop()
	if ok, _ := p.Exited(); !ok {
		t.Fatal("process still running after Stop")
	}
}

func TestWaitListeningReportsAProcessThatExitedEarly(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	p := Start(t, exec.Command(sh, "-c", "echo boom; exit 3"))
	err = p.WaitListening("127.0.0.1:1", 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before listening") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v, want an exit report with the log", err)
	}
}
