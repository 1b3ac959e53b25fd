package s360

// The venue's fixed data: what it sells, to whom, and the names its
// visitors have. They are read-only lookup tables.

// product is one thing the venue sells. Prices are in thousandths of the
// currency unit, as S-360 sends them.
type product struct {
	id       int64
	code     string
	name     string
	kind     string // operation kind: SINGLE_ENTRY or MEMBERSHIP
	price    int64  // adult base price
	eventID  int64
	timed    bool // performances at fixed times (guided tours)
	checked  bool // tickets are scanned at the gate
	catIndex int  // offset of its item ids
}

var products = []product{
	{id: 10228231108335, code: "PERMCOL", name: "Permanent Collection", kind: "SINGLE_ENTRY", price: 20000, eventID: 10228231109001, checked: true, catIndex: 0},
	{id: 10228231108336, code: "TEMPEXH", name: "Light and Matter (temporary exhibition)", kind: "SINGLE_ENTRY", price: 25000, eventID: 10228231109002, checked: true, catIndex: 1},
	{id: 10228231108337, code: "GUIDTOUR", name: "Guided Tour", kind: "SINGLE_ENTRY", price: 30000, eventID: 10228231109003, timed: true, checked: true, catIndex: 2},
	{id: 10228231108338, code: "MEMBYEAR", name: "Annual Membership", kind: "MEMBERSHIP", price: 90000, eventID: 10228231109004, catIndex: 3},
}

const (
	productPermanent  = 0
	productTemporary  = 1
	productGuidedTour = 2
	productMembership = 3
)

// audience is a tariff: a share of the adult price.
type audience struct {
	code     string
	permille int64
}

var audiences = []audience{
	{"ADULT", 1000},
	{"CHILD", 500},
	{"SENIOR", 800},
	{"STUDENT", 600},
}

var firstNames = []string{
	"Anna", "Luca", "Sophie", "Noah", "Léa", "Elias", "Mia", "Gabriel", "Emma", "Louis",
	"Laura", "Matteo", "Sarah", "Jonas", "Chiara", "Julien", "Nina", "David", "Alice", "Samuel",
	"Marie", "Tim", "Giulia", "Lukas", "Camille", "Leon", "Elena", "Hugo", "Lena", "Marco",
	"Olivia", "Yannick", "Zoé", "Nicolas", "Hannah", "Paul", "Aline", "Fabio", "Clara", "Simon",
}

var lastNames = []string{
	"Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Meyer", "Steiner", "Fischer",
	"Gerber", "Brunner", "Baumann", "Frei", "Zimmermann", "Moser", "Dubois", "Favre", "Rochat", "Bernasconi",
	"Rossi", "Ferrari", "Bianchi", "Roth", "Suter", "Graf", "Wyss", "Bachmann", "Perret", "Bonvin",
	"Smith", "Martin", "Bond", "Berger", "Lehmann", "Hofmann", "Kälin", "Mauron", "Jaccard", "Rey",
}

var companyStems = []string{
	"Alpenblick", "Lémanique", "Helvetia Reisen", "Rhein", "Jura", "Ticino Viaggi", "Aare", "Matterhorn",
	"Pilatus", "Rigi", "Bodensee", "Engadin", "Seeland", "Emmental", "Gruyère", "Lavaux",
}

var companyKinds = []string{"AG", "SA", "GmbH", "Sàrl", "Schule", "Gymnasium", "Verein", "Tours"}

// city is a place visitors come from, with a plausible postcode and street.
type city struct {
	name, zip, country, street string
}

var cities = []city{
	{"Zürich", "8001", "CH", "Bahnhofstrasse"},
	{"Genève", "1201", "CH", "Rue du Rhône"},
	{"Lausanne", "1003", "CH", "Avenue de la Gare"},
	{"Bern", "3011", "CH", "Marktgasse"},
	{"Basel", "4051", "CH", "Freie Strasse"},
	{"Luzern", "6003", "CH", "Pilatusstrasse"},
	{"Lugano", "6900", "CH", "Via Nassa"},
	{"St. Gallen", "9000", "CH", "Multergasse"},
	{"Winterthur", "8400", "CH", "Marktgasse"},
	{"Fribourg", "1700", "CH", "Rue de Romont"},
	{"München", "80331", "DE", "Kaufingerstrasse"},
	{"Lyon", "69002", "FR", "Rue de la République"},
	{"Milano", "20121", "IT", "Via Manzoni"},
	{"London", "SE1 7TP", "UK", "Albert Embankment"},
	{"New York", "10028", "US", "Fifth Avenue"},
}

var mailDomains = []string{"bluewin.ch", "gmail.com", "gmx.ch", "outlook.com", "sunrise.ch", "proton.me", "yahoo.fr"}

var titles = []string{"MR", "MRS", "MS", "DR"}
