package s360

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// contactDoc is the contact webhook's payload item (getContactData with
// GENERAL, ADDRESSES and AUTHORIZATIONS details), field for field as in
// testdata/s360/contacts.json.
type contactDoc struct {
	ContactNumber     string          `json:"contactNumber"`
	ContactID         int64           `json:"contactId"`
	CreationDate      string          `json:"creationDate"`
	LastUpdateDate    string          `json:"lastUpdateDate"`
	Role              string          `json:"role"`
	Type              string          `json:"type"`
	IndividualContact *individualData `json:"individualContact,omitempty"`
	StructureContact  *structureData  `json:"structureContact,omitempty"`
	Email             string          `json:"email"`
	CellPhoneNumber   string          `json:"cellPhoneNumber,omitempty"`
	Addresses         []addressData   `json:"addresses"`
	Authorizations    []authorization `json:"authorizations,omitempty"`
}

type individualData struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	BirthDate string `json:"birthDate,omitempty"`
	Title     string `json:"title"`
}

type structureData struct {
	Name      string `json:"name"`
	VATNumber string `json:"vatNumber,omitempty"`
}

type addressData struct {
	IsMain      bool   `json:"isMain"`
	Street1     string `json:"street1"`
	ZipCode     string `json:"zipCode"`
	City        string `json:"city"`
	CountryCode string `json:"countryCode"`
}

type authorization struct {
	Code  string `json:"code"`
	Value bool   `json:"value"`
}

// contact is a contact's current state as the venue draws it, and what
// S-360 holds of it (see shared.go).
type contact struct {
	doc  contactDoc
	last time.Time
	raw  []byte
	// gen are the venue's versions from the one in force when Until was
	// last asked for (or when the API first changed the contact) on.
	gen []snapshot
	// api are the changes written through S-360's API, oldest first.
	api []apiChange
}

func (c *contact) isStructure() bool { return c.doc.Type == "STRUCTURE" }

func (c *contact) isMember() bool { return c.doc.Role == "MEMBER" }

// newContact creates a person or a company at and pushes its first version.
func (v *Venue) newContact(at time.Time, structure bool) *contact {
	v.ids.contact++
	c := &contact{doc: contactDoc{
		ContactNumber: strconv.FormatInt(v.ids.contact, 10),
		ContactID:     10228100000000 + v.ids.contact,
		CreationDate:  isoTime(at),
		Role:          "PUBLIC",
		Addresses:     []addressData{v.address()},
	}}
	if structure {
		name := fmt.Sprintf("%s %s", companyStems[v.pick(len(companyStems))], companyKinds[v.pick(len(companyKinds))])
		c.doc.Type = "STRUCTURE"
		c.doc.StructureContact = &structureData{Name: name}
		if v.chance(0.5) {
			c.doc.StructureContact.VATNumber = fmt.Sprintf("CHE-%03d.%03d.%03d", v.pick(1000), v.pick(1000), v.pick(1000))
		}
		c.doc.Email = "info@" + slug(name) + ".ch"
	} else {
		first, last := firstNames[v.pick(len(firstNames))], lastNames[v.pick(len(lastNames))]
		c.doc.Type = "INDIVIDUAL"
		c.doc.IndividualContact = &individualData{FirstName: first, LastName: last, Title: titles[v.pick(len(titles))]}
		if v.chance(0.6) {
			birth := time.Date(1940+v.pick(65), time.Month(1+v.pick(12)), 1+v.pick(28), 0, 0, 0, 0, time.UTC)
			c.doc.IndividualContact.BirthDate = birth.Format("2006-01-02")
		}
		c.doc.Email = v.personalEmail(first, last)
		if v.chance(0.7) {
			c.doc.CellPhoneNumber = v.phone()
		}
		if v.chance(0.45) {
			c.doc.Authorizations = []authorization{{Code: "NEWSLETTER", Value: true}}
		}
	}
	v.contacts = append(v.contacts, c)
	v.byNumber[c.doc.ContactNumber] = c
	v.touch(c, at)
	return c
}

// touch records a change of c at and pushes the new version. Versions of
// one contact always have increasing lastUpdateDate.
func (v *Venue) touch(c *contact, at time.Time) {
	if !at.After(c.last) {
		at = c.last.Add(time.Second)
	}
	c.last = at
	c.doc.LastUpdateDate = isoTime(at)
	c.raw = v.emit(usher.StreamContacts, c.doc.ContactNumber, at, at, c.doc)
	c.keep(snapshot{at: at, raw: c.raw, email: c.doc.Email}, v.handedOut)
}

// updateRandomContact changes one thing about an existing contact: what
// visitors and the venue's staff change most often.
func (v *Venue) updateRandomContact(at time.Time) {
	if len(v.contacts) == 0 {
		return
	}
	c := v.contacts[v.pick(len(v.contacts))]
	switch r := v.rng.Float64(); {
	case r < 0.3:
		if c.isStructure() {
			c.doc.Email = fmt.Sprintf("contact%d@%s.ch", v.pick(100), slug(c.doc.StructureContact.Name))
		} else {
			c.doc.Email = v.personalEmail(c.doc.IndividualContact.FirstName, c.doc.IndividualContact.LastName)
		}
	case r < 0.5:
		c.doc.CellPhoneNumber = v.phone()
	case r < 0.7:
		c.doc.Addresses = []addressData{v.address()}
	default:
		v.toggleNewsletter(c)
	}
	v.touch(c, at)
}

func (v *Venue) toggleNewsletter(c *contact) {
	for i := range c.doc.Authorizations {
		if c.doc.Authorizations[i].Code == "NEWSLETTER" {
			c.doc.Authorizations[i].Value = !c.doc.Authorizations[i].Value
			return
		}
	}
	c.doc.Authorizations = append(c.doc.Authorizations, authorization{Code: "NEWSLETTER", Value: true})
}

// customer returns who places an order at: often a known contact, else a
// new one created just before (an account made at checkout).
func (v *Venue) customer(at time.Time, structure bool, returning float64) *contact {
	if len(v.contacts) > 0 && v.chance(returning) {
		for range 8 { // a few tries to find a contact of the right kind
			if c := v.contacts[v.pick(len(v.contacts))]; c.isStructure() == structure {
				return c
			}
		}
	}
	return v.newContact(at.Add(-v.between(time.Minute, 4*time.Minute)), structure)
}

func (v *Venue) address() addressData {
	c := cities[v.pick(len(cities))]
	if v.chance(0.5) {
		c = cities[v.pick(10)] // most visitors are local
	}
	return addressData{IsMain: true, Street1: fmt.Sprintf("%d %s", 1+v.pick(120), c.street), ZipCode: c.zip, City: c.name, CountryCode: c.country}
}

func (v *Venue) personalEmail(first, last string) string {
	sep := []string{".", "_", ""}[v.pick(3)]
	suffix := ""
	if v.chance(0.4) {
		suffix = strconv.Itoa(v.pick(100))
	}
	return slug(first) + sep + slug(last) + suffix + "@" + mailDomains[v.pick(len(mailDomains))]
}

func (v *Venue) phone() string {
	return fmt.Sprintf("+417%d%07d", 6+v.pick(4), v.pick(10000000))
}

// slug makes a name usable in an e-mail address.
func slug(s string) string {
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "é", "e", "è", "e", "à", "a", "ç", "c", ".", "", " ", "-", "'", "")
	return strings.ToLower(r.Replace(strings.ToLower(s)))
}
