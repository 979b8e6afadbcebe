// Reads the one-time code an app just sent, the way an end-to-end test of a sign-in does (Go's
// net/http): the app sends an SMS through smsoffice, retrying once when smsoffice answers its
// temporary error -100, and the test, having injected that error for the first send, asks smsim
// for the newest message to that number, waiting up to five seconds for it, and types in its
// `code`.
//
// Run against `smsim serve` (SMSIM_URL overrides http://127.0.0.1:8800) with
// `go run examples/go/otp/main.go` (Go 1.19+, standard library only); prints the code.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

const phone = "995577000888"

var (
	base   = envOr("SMSIM_URL", "http://127.0.0.1:8800")
	client = &http.Client{Timeout: 10 * time.Second}
)

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// getJSON decodes the reply to a GET into `into` and returns its status.
func getJSON(address string, into any) (int, error) {
	reply, err := client.Get(address)
	if err != nil {
		return 0, err
	}
	defer reply.Body.Close()
	if reply.StatusCode != http.StatusOK {
		return reply.StatusCode, nil
	}
	return reply.StatusCode, json.NewDecoder(reply.Body).Decode(into)
}

// admin sends a state-changing admin call with a JSON body.
func admin(method, path, body string) error {
	request, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	request.Header.Set("Content-Type", "application/json")
	reply, err := client.Do(request)
	if err != nil {
		return err
	}
	reply.Body.Close()
	if reply.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s", method, path, reply.Status)
	}
	return nil
}

// sendCode is what the app under test does: an smsoffice send, retried once on -100.
func sendCode(text string) error {
	query := url.Values{
		"key": {"demo-key"}, "destination": {phone}, "sender": {"SMSOFFICE"}, "content": {text},
	}
	for attempt := 1; ; attempt++ {
		var reply struct {
			Success   bool
			ErrorCode int
			Message   string
		}
		if _, err := getJSON(base+"/api/v2/send/?"+query.Encode(), &reply); err != nil {
			return err
		}
		if reply.Success {
			return nil
		}
		if reply.ErrorCode != -100 || attempt == 2 {
			return fmt.Errorf("send refused: %d %s", reply.ErrorCode, reply.Message)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func run() (string, error) {
	// The newest message id so far, so the test reads only what comes next.
	var newest struct{ ID int64 }
	status, err := getJSON(base+"/__admin/messages/latest", &newest)
	if err != nil || (status != http.StatusOK && status != http.StatusNotFound) {
		return "", fmt.Errorf("latest: %d %v", status, err)
	}
	// smsoffice's temporary error for the app's first attempt only.
	if err := admin("POST", "/__admin/faults", `{"spec": "smsoffice.send=error:-100*1"}`); err != nil {
		return "", err
	}
	// The app sends while the test waits, as it would while a browser clicks "Send me a code".
	sent := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		sent <- sendCode("Your code is 905317")
	}()
	query := url.Values{
		"destination": {phone}, "since": {fmt.Sprint(newest.ID)}, "wait": {"5s"},
	}
	var message struct{ Code string }
	status, err = getJSON(base+"/__admin/messages/latest?"+query.Encode(), &message)
	if err := <-sent; err != nil {
		return "", err
	}
	if err != nil || status != http.StatusOK {
		return "", fmt.Errorf("no code: %d %v", status, err)
	}
	return message.Code, nil
}

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(code)
	if code != "905317" {
		os.Exit(1)
	}
}
