using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Approvals.Core.Http;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;
using Approvals.Local.Identity;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Workflow;

/// <summary>One host for the attack matrix (security review of four eyes between persons).</summary>
public sealed class FourEyesAttackHost : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Attacks on the four-eyes promise, the requester check and the resolver's lookups. Each test fails when
/// the promise is broken: a grant by the requester, the target, or nobody the directory knows must never reset.</summary>
public sealed class FourEyesAttackTests(FourEyesAttackHost fixture) : IClassFixture<FourEyesAttackHost>
{
    // carol (seeded): UPN carol@local, mail carol.chen@local, proxy smtp:cc@local, other mail carol.home@example.com.
    const string Carol = "carol@local";

    /// <summary>Identifiers that are path segments, not object ids: "users/." is "users/" once the URI is normalised
    /// (GET /users, the list), and "users/.." is the service root. Graph answers 200 with a collection; the resolver must
    /// not read that as one enabled person named by the identifier itself.</summary>
    public static TheoryData<string, Resource> PathSegmentIds => new()
    {
        { "dot", new Resource { Kind = "user", Id = ".", DisplayName = "Not Bob" } },
        { "dot with whitespace", new Resource { Kind = "user", Id = " . " } },
        { "dot in altIds", new Resource { Kind = "user", Id = "U0NOBODY", AltIds = ["."] } },
    };

    [Theory]
    [MemberData(nameof(PathSegmentIds))]
    public async Task Attack_ApproverIdIsADotSegment_UnknownToTheDirectory_Denied_NoReset(string how, Resource approver)
    {
        var host = fixture.Host;
        var target = "dot-" + Slug(how);
        host.Know(target);
        using var carol = host.As(Carol);

        var (done, _) = await RunAsync(host, carol, target, approver);

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{how}: approver id '{approver.Id}' ended {done.Status}: {done.Detail}");
        Assert.Equal(0, host.Resets(target));
    }

    /// <summary>"users/.." is the service root: the local Graph answers it with an error (so the read fails and the
    /// approval waits); real Graph answers 200 with the service document. Locally: never completed, nothing reset.</summary>
    [Fact]
    public async Task Attack_ApproverIdIsDotDot_NeverCompleted_NoReset()
    {
        var host = fixture.Host;
        host.Know("dot-dotdot");
        using var carol = host.As(Carol);
        var (id, petition) = await StartAsync(host, carol, "dot-dotdot");
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, new Resource { Kind = "user", Id = ".." });

        var view = await SettleAsync(host, id, TimeSpan.FromSeconds(12));

        Assert.True(view.Status != ApprovalStatuses.Completed, $"{view.Status} {view.Detail}");
        Assert.Equal(0, host.Resets("dot-dotdot"));
        if (!ApprovalStatuses.IsFinal(view.Status))
        {
            using var cancel = await carol.PostAsync($"api/approvals/{id}/cancel", null);
        }
    }

    /// <summary>OData injection through the actor's email: quotes, 'or', parentheses, percent-encoding. Real Graph sees one
    /// quoted literal (quotes doubled) that names nobody; whatever the local Graph does, nothing may be reset.</summary>
    public static TheoryData<string, Resource> InjectedEmails => new()
    {
        { "quote or upn", new Resource { Kind = "user", Email = "zed@x.example' or userPrincipalName eq 'bob@local" } },
        { "quote or paren", new Resource { Kind = "user", Email = "zed@x.example') or (mail eq 'bob@local" } },
        { "percent encoded quote", new Resource { Kind = "user", Email = "zed@x.example%27 or mail eq %27bob@local" } },
        { "requester hides behind injection", new Resource { Kind = "user", Email = "carol@local' or mail eq 'bob@local" } },
    };

    [Theory]
    [MemberData(nameof(InjectedEmails))]
    public async Task Attack_FilterInjectionThroughActorEmail_NeverCompleted_NoReset(string how, Resource approver)
    {
        var host = fixture.Host;
        var target = "inj-" + Slug(how);
        host.Know(target);
        using var carol = host.As(Carol);

        var (id, petition) = await StartAsync(host, carol, target);
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, approver);

        // Either denied (real Graph: nobody) or stuck waiting (the local Graph refuses the filter): never completed.
        var view = await SettleAsync(host, id, TimeSpan.FromSeconds(12));

        Assert.True(view.Status != ApprovalStatuses.Completed, $"{how}: {view.Status} {view.Detail}");
        Assert.Equal(0, host.Resets(target));
        if (!ApprovalStatuses.IsFinal(view.Status))
        {
            using var cancel = await carol.PostAsync($"api/approvals/{id}/cancel", null);
        }
    }

    /// <summary>Look-alikes of the requester's own addresses: Entra does not fold these onto her, so she is "unknown"
    /// and the grant must still be refused (fail closed), never used.</summary>
    public static TheoryData<string, Resource> LookAlikes => new()
    {
        { "full-width at sign", new Resource { Kind = "user", Email = "carol\uFF20local" } },
        { "zero-width space", new Resource { Kind = "user", Email = "car\u200Bol@local" } },
        { "cyrillic a", new Resource { Kind = "user", Email = "c\u0430rol@local" } },
        { "trailing dot", new Resource { Kind = "user", Email = "carol@local." } },
        { "smtp prefix twice", new Resource { Kind = "user", Email = "smtp:smtp:cc@local" } },
        { "upper-case object id", new Resource { Kind = "user", Id = "CAROL" } },
    };

    [Theory]
    [MemberData(nameof(LookAlikes))]
    public async Task Attack_RequesterUnderALookAlike_Denied_NoReset(string how, Resource approver)
    {
        var host = fixture.Host;
        var target = "look-" + Slug(how);
        host.Know(target);
        using var carol = host.As(Carol);

        var (done, _) = await RunAsync(host, carol, target, approver);

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{how}: {done.Status} {done.Detail}");
        Assert.Equal(0, host.Resets(target));
    }

    /// <summary>Two approve events before the workflow reads: someone else's first, then the requester's own. The rule
    /// looks at the last approve event; the requester's must win (denied), never Bob's earlier one.</summary>
    [Fact]
    public async Task Attack_SelfApproveAfterSomeoneElsesApprove_RefusedByIndent_BobsGrantUsed()
    {
        var host = fixture.Host;
        host.Know("twice-target");
        using var carol = host.As(Carol);
        var (id, petition) = await StartAsync(host, carol, "twice-target");

        // Hold the workflow's reads (Indent answers 503) while both approvals land.
        host.Faults.Set(new FaultSpec { Status = 503, Count = 100_000, Method = "GET", PathContains = "/petitions/" + petition });
        try
        {
            host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, "bob@local");
            // The emulator (like Indent's state machine) refuses a second approve on a granted petition, so the
            // requester cannot append her approval after Bob's here; the rule would look at the last approve event.
            Assert.Throws<EmulatorException>(() => host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, new Resource { Kind = "user", Email = "carol.chen@local" }));
        }
        finally
        {
            host.Faults.Clear();
        }

        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000);
        // Bob's approval is the only one: the grant is his, and used.
        Assert.True(done.Status == ApprovalStatuses.Completed, $"{done.Status} {done.Detail}");
        Assert.Equal(1, host.Resets("twice-target"));
    }

    /// <summary>The requester's identifiers smuggled next to the listed auto-approver: the person rule runs first.</summary>
    [Fact]
    public async Task Attack_RequesterCarriesTheAutoApproverAsAnAltId_Denied_NoReset()
    {
        var host = fixture.Host;
        host.Know("auto-smuggle");
        using var carol = host.As(Carol);

        var (done, _) = await RunAsync(host, carol, "auto-smuggle", new Resource { Kind = "user", Id = "U04CAROL", Email = "cc@local", AltIds = [IndentEmulator.AutoApprover] });

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{done.Status} {done.Detail}");
        Assert.Equal(0, host.Resets("auto-smuggle"));
    }

    /// <summary>The target named by its user principal name in the request; approved under her mail.</summary>
    [Fact]
    public async Task Attack_TargetRequestedByUpn_ApprovedUnderHerMail_Denied_NoReset()
    {
        var host = fixture.Host;
        var before = host.Resets("carol");
        using var response = await host.Http.PostAsync("api/password-resets", new StringContent("""{"userId":"carol@local","reason":"to recover account"}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, new Resource { Kind = "user", Email = "carol.chen@local" });
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000);

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{done.Status} {done.Detail}");
        Assert.Equal(before, host.Resets("carol"));
    }

    /// <summary>More than the limit of identifiers, one of them the listed auto-approver: refused, not automatic.</summary>
    [Fact]
    public async Task Attack_TooManyIdentifiersWithTheAutoApprover_Denied_NoReset()
    {
        var host = fixture.Host;
        host.Know("many-ids");
        using var carol = host.As(Carol);
        var alt = Enumerable.Range(0, 12).Select(i => $"U{i:000}").Append(IndentEmulator.AutoApprover).ToList();

        var (done, _) = await RunAsync(host, carol, "many-ids", new Resource { Kind = "user", Email = "carol.chen@local", AltIds = alt });

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{done.Status} {done.Detail}");
        Assert.Equal(0, host.Resets("many-ids"));
    }

    /// <summary>Promise 2: a token whose oid is not an object id but a path segment ("." is "users/", the list) names no
    /// directory person and must get 403, nothing started.</summary>
    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task Attack_TokenOidIsADotSegment_403_NothingStarted(string oid)
    {
        var host = fixture.Host;
        var token = LocalIssuer.Open(host.DataDirectory).Mint("mallory@local", [ApprovalsRoles.Request], TimeSpan.FromHours(1), DateTimeOffset.UtcNow, objectId: oid);
        host.Know("oid-dot-target");
        using var client = new HttpClient { BaseAddress = host.Host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.PostAsync("api/password-resets", new StringContent("""{"userId":"oid-dot-target","reason":"to recover account"}""", Encoding.UTF8, "application/json"));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.ServiceUnavailable, $"oid '{oid}': {(int)response.StatusCode} {body}");
    }

    static async Task<ApprovalView> SettleAsync(TestHost host, string id, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        var view = await host.ViewAsync(id);
        while (!ApprovalStatuses.IsFinal(view.Status) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            view = await host.ViewAsync(id);
        }

        return view;
    }

    static async Task<(string Id, string Petition)> StartAsync(TestHost host, HttpClient requester, string target)
    {
        using var response = await host.PostResetAsync(target, "to recover account", http: requester);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        return (id, petition);
    }

    static async Task<(ApprovalView Done, string Petition)> RunAsync(TestHost host, HttpClient requester, string target, Resource? approver)
    {
        var (id, petition) = await StartAsync(host, requester, target);
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, approver);
        return (await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000), petition);
    }

    static string Slug(string text) => string.Concat(text.Where(char.IsAsciiLetterOrDigit)).ToLowerInvariant()[..Math.Min(24, text.Count(char.IsAsciiLetterOrDigit))];
}
