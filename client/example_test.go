package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/usher-hub/usher/client"
)

// A venue's script pushes a payload as S-360 would, then reads the day's
// sales.
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", os.Getenv("USHER_API_KEY"))
	body, err := os.ReadFile("testdata/s360/orders.json")
	if err != nil {
		log.Fatal(err)
	}
	rc, err := c.Push(ctx, "myvenue", client.StreamOrders, body, client.Basic("s360", os.Getenv("S360_PUSH_PASSWORD")))
	var e *client.Error
	if errors.As(err, &e) && e.Status == 422 {
		log.Fatalf("refused under the strict policy: %s", e.Detail)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d stored, %d already there, %d quarantined\n", rc.Stored, rc.Duplicate, rc.Quarantined)
	sales, err := c.Report(ctx, "myvenue", client.ReportSales, client.ReportQuery{From: "2023-02-09", To: "2023-02-09"})
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range sales.Rows {
		fmt.Println(row.Text("period"), row.Text("revenue"), sales.Currency)
	}
}
