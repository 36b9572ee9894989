using System.Net;
using System.Text;
using Approvals.Core.Indent;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Emulator;

/// <summary>Every endpoint of the emulator through our own Core client, the code that talks to real Indent.</summary>
public sealed class EmulatorContractTests : IAsyncLifetime
{
    TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await host.DisposeAsync();

    static Petition NewPetition(string id = "reset-password:42", Dictionary<string, string>? labels = null) => new()
    {
        Reason = "to recover account",
        Resources = [new Resource { Kind = "action", Id = id, Labels = new Dictionary<string, string> { ["tier"] = "gold" } }],
        Meta = labels is null ? null : new ObjectMeta { Labels = labels },
    };

    [Fact]
    public async Task CreateGet_RoundTripsPetition_OpenWithRequestEvent()
    {
        var created = await host.Indent.CreatePetitionAsync(NewPetition());
        var read = await host.Indent.GetPetitionAsync(created.Name!);

        Assert.Equal(IndentPhases.Open, read.Phase);
        Assert.Equal("acme", read.SpaceName);
        Assert.Equal("workflow@acme.test", read.Petitioners![0].Id);
        var request = Assert.Single(read.State!.EventHistory!);
        Assert.Equal(IndentEventTypes.Request, request.EventType);
        Assert.Equal(created.Name, request.PetitionName);
        Assert.Equal("gold", read.Resources![0].Labels!["tier"]);
    }

    [Fact]
    public async Task Approve_WithDuration_GrantsRecordsEventsAndRevokesWhenItRunsOut()
    {
        var petition = await host.Indent.CreatePetitionAsync(NewPetition());

        await host.Indent.ApproveAsync(petition.Name!, TimeSpan.FromSeconds(1), "ok");
        var granted = await host.Indent.GetPetitionAsync(petition.Name!);
        Assert.Equal(IndentPhases.Granted, granted.Phase);
        Assert.Equal([IndentEventTypes.Request, IndentEventTypes.Approve, IndentEventTypes.Grant], granted.State!.EventHistory!.Select(e => e.EventType));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        Petition later;
        do
        {
            await Task.Delay(100);
            later = await host.Indent.GetPetitionAsync(petition.Name!);
        }
        while (later.Phase == IndentPhases.Granted && DateTime.UtcNow < deadline);

        Assert.Equal(IndentPhases.Revoked, later.Phase);
        Assert.Equal(IndentEventTypes.Revoke, later.State!.EventHistory![^1].EventType);
        Assert.Equal("access grant expired", later.State.EventHistory[^1].Reason);
    }

    [Fact]
    public async Task Deny_ClosesPetition_AndRepeatedClaimIdIsIdempotent()
    {
        var petition = await host.Indent.CreatePetitionAsync(NewPetition());

        var first = await host.Indent.DenyAsync(petition.Name!, "no", claimId: "claim-1");
        var again = await host.Indent.DenyAsync(petition.Name!, "no", claimId: "claim-1");

        Assert.Equal(first.Id, again.Id);
        var closed = await host.Indent.GetPetitionAsync(petition.Name!);
        Assert.Equal(IndentPhases.Closed, closed.Phase);
        Assert.Equal(2, closed.State!.EventHistory!.Count);
    }

    [Fact]
    public async Task Revoke_GrantedPetition_Revoked_ButOpenPetitionRefusesWithPrecondition()
    {
        var petition = await host.Indent.CreatePetitionAsync(NewPetition());

        var refused = await Assert.ThrowsAsync<IndentApiException>(() => host.Indent.RevokeAsync(petition.Name!));
        await host.Indent.ApproveAsync(petition.Name!);
        await host.Indent.RevokeAsync(petition.Name!, "changed my mind");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(9, refused.IndentCode);
        Assert.Equal(IndentPhases.Revoked, (await host.Indent.GetPetitionAsync(petition.Name!)).Phase);
    }

    [Fact]
    public async Task List_LabelSelectorAndPaging_ReturnsExactlyTheMatches()
    {
        var tag = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 7; i++)
        {
            await host.Indent.CreatePetitionAsync(NewPetition(labels: new() { ["batch"] = tag, ["parity"] = i % 2 == 0 ? "even" : "odd" }));
        }

        var even = new List<Petition>();
        await foreach (var p in host.Indent.ListPetitionsAsync($"batch={tag},parity=even", pageSize: 2))
        {
            even.Add(p);
        }

        var requests = 0;
        await foreach (var _ in host.Indent.ListPetitionsAsync($"batch={tag}", pageSize: 3))
        {
            requests++;
        }

        Assert.Equal(4, even.Count);
        Assert.All(even, p => Assert.Equal("even", p.Meta!.Labels!["parity"]));
        Assert.Equal(7, requests);
    }

    [Fact]
    public async Task Resources_RequestableViewGetAndBulkUpdate()
    {
        var requestable = new List<Resource>();
        await foreach (var r in host.Indent.ListResourcesAsync("requestable"))
        {
            requestable.Add(r);
        }

        await host.Indent.BulkUpdateResourcesAsync([new Resource { Kind = "db", Id = "orders", DisplayName = "Orders DB", Labels = new Dictionary<string, string> { ["requestable"] = "true" } }]);
        var orders = await host.Indent.GetResourceAsync("orders");

        Assert.Contains(requestable, r => r.Id == "reset-password");
        Assert.DoesNotContain(requestable, r => r.Id == "oncall");
        Assert.Equal("Orders DB", orders.DisplayName);
        var missing = await Assert.ThrowsAsync<IndentApiException>(() => host.Indent.GetResourceAsync("nope"));
        Assert.Equal(5, missing.IndentCode);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized, 16)]
    [InlineData("Bearer wrong", HttpStatusCode.Unauthorized, 16)]
    public async Task Api_BadToken_Unauthorized(string? auth, HttpStatusCode status, int code)
    {
        using var http = new HttpClient { BaseAddress = host.Host.BaseAddress };
        if (auth is not null)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", auth);
        }

        using var response = await http.GetAsync("indent/v1/spaces/acme/petitions");

        Assert.Equal(status, response.StatusCode);
        Assert.Contains($"\"code\":{code}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_UnknownSpace_NotFound()
    {
        using var http = host.IndentHttp();

        using var response = await http.GetAsync("indent/v1/spaces/other/petitions");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"code\":5", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "petitions", "not json")]
    [InlineData("POST", "petitions", "{\"petition\":{\"reason\":\"no resources\"}}")]
    [InlineData("POST", "petitions", "{\"petition\":{\"resources\":[{\"kind\":\"action\"}]}}")]
    [InlineData("POST", "petitions", "{\"petition\":{\"resources\":\"x\"}}")]
    [InlineData("POST", "petitions", "[]")]
    [InlineData("POST", "petitions", "")]
    [InlineData("POST", "resources:bulkUpdate", "{\"resources\":[]}")]
    [InlineData("POST", "resources:bulkUpdate", "{\"resources\":[{\"id\":\"x\"}]}")]
    [InlineData("GET", "petitions?labelSelector=novalue", null)]
    [InlineData("GET", "petitions?pageSize=100000", null)]
    [InlineData("GET", "petitions?pageToken=%%%", null)]
    [InlineData("GET", "petitions?pageSize=abc", null)]
    [InlineData("GET", "resources?view=weird", null)]
    public async Task Api_BadRequests_IndentStyle4xx_NeverA500(string method, string path, string? body)
    {
        using var http = host.IndentHttp();
        using var request = new HttpRequestMessage(new HttpMethod(method), "indent/v1/spaces/acme/" + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Contains("\"status\":{\"code\":", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claims_BadBodies_Rejected()
    {
        var petition = await host.Indent.CreatePetitionAsync(NewPetition());
        using var http = host.IndentHttp();
        string[] bodies =
        [
            "{}", "{\"claim\":{}}", "{\"claim\":{\"event\":\"access/grant\"}}",
            "{\"claim\":{\"event\":\"access/approve\",\"meta\":{\"labels\":{\"indent.com/time/duration\":\"soon\"}}}}",
        ];
        foreach (var body in bodies)
        {
            using var response = await http.PostAsync($"indent/v1/spaces/acme/petitions/{petition.Name}/claims", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        using var unknown = await http.PostAsync("indent/v1/spaces/acme/petitions/nope/claims", new StringContent("{\"claim\":{\"event\":\"access/deny\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(IndentPhases.Open, (await host.Indent.GetPetitionAsync(petition.Name!)).Phase);
    }

    [Fact]
    public async Task Rules_ConfigurableOverHttp_AutoDenyApplies()
    {
        using var http = host.IndentHttp();
        using var set = await http.PutAsync("indent/_admin/rules", new StringContent("""{"rules":[{"pattern":"action:deny-me:*","decision":"deny","afterSeconds":0.2}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        using var bad = await http.PutAsync("indent/_admin/rules", new StringContent("""{"rules":[{"pattern":"*","decision":"maybe"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var denied = await host.Indent.CreatePetitionAsync(NewPetition("deny-me:1"));
        var untouched = await host.Indent.CreatePetitionAsync(NewPetition("keep-me:1"));
        for (var until = DateTime.UtcNow.AddSeconds(10); host.Emulator.Get(denied.Name!).Phase == IndentPhases.Open && DateTime.UtcNow < until;)
        {
            await Task.Delay(25); // the rule's 0.2 s timer, observed
        }

        Assert.Equal(IndentPhases.Closed, (await host.Indent.GetPetitionAsync(denied.Name!)).Phase);
        Assert.Equal(IndentEmulator.AutoApprover, (await host.Indent.GetPetitionAsync(denied.Name!)).State!.EventHistory![^1].Actor!.Id);
        Assert.Equal(IndentPhases.Open, (await host.Indent.GetPetitionAsync(untouched.Name!)).Phase);
    }

    [Fact]
    public void DecisionRule_Parse_ReadsCommandLineForm()
    {
        Assert.Equal(new DecisionRule("*", "approve", 5), DecisionRule.Parse("approve:5"));
        Assert.Equal(new DecisionRule("action:*", "deny", 0), DecisionRule.Parse("action:*=deny"));
        Assert.Throws<FormatException>(() => DecisionRule.Parse("perhaps"));
    }
}
