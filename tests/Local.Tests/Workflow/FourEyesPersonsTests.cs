using System.Net;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Workflow;

/// <summary>One host for the four-eyes matrix: each case is its own approval, judged on its own petition.</summary>
public sealed class FourEyesHost : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Four eyes between persons, end to end on the embedded engine against the local Microsoft Graph: a grant
/// approved under any other identifier of the requester or the target (mail that differs from the user principal name,
/// a proxy address, another mail, Indent <c>altIds</c>, the object id, case and whitespace) is refused; so is one by
/// nobody the directory knows, by a name alone, by a disabled person, or by no one. Resets are counted from the local
/// directory's own log (users.jsonl), not from the workflow's status.</summary>
public sealed class FourEyesPersonsTests(FourEyesHost fixture) : IClassFixture<FourEyesHost>
{
    // carol (seeded): user principal name carol@local, mail carol.chen@local, proxy smtp:cc@local, other mail carol.home@example.com.
    const string Carol = "carol@local";

    public static TheoryData<string, Resource> CarolUnderAnotherName => new()
    {
        { "her mail, which differs from her user principal name", new Resource { Kind = "user", Id = "carol.chen@local", Email = "carol.chen@local" } },
        { "a proxy address", new Resource { Kind = "user", Email = "cc@local" } },
        { "an other mail", new Resource { Kind = "user", Email = "carol.home@example.com" } },
        { "Indent altIds only (a chat id and an smtp: proxy address)", new Resource { Kind = "user", Id = "U04CAROL", DisplayName = "C. Chen", AltIds = ["slack:U04CAROL", "smtp:CC@local"] } },
        { "case and whitespace", new Resource { Kind = "user", Email = "  CAROL@Local " } },
        { "her object id", new Resource { Kind = "user", Id = "carol" } },
        { "her name among someone else's", new Resource { Kind = "user", Email = "bob@local", AltIds = ["carol.chen@local"] } },
    };

    [Theory]
    [MemberData(nameof(CarolUnderAnotherName))]
    public async Task Grant_ByTheRequesterUnderAnotherIdentifier_Denied_NoReset_NoCredential(string how, Resource approver)
    {
        var host = fixture.Host;
        host.Know("target-" + Slug(how));
        using var carol = host.As(Carol);

        var (done, _) = await RunAsync(host, carol, "target-" + Slug(how), approver);

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{how}: {done.Status} {done.Detail}");
        Assert.Contains("four eyes: approved by the requester", done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Resets("target-" + Slug(how)));
        await AssertNoCredentialAsync(carol, done.Id);
    }

    [Theory]
    [MemberData(nameof(CarolUnderAnotherName))]
    public async Task Grant_ByTheTargetUnderAnotherIdentifier_Denied_NoReset(string how, Resource approver)
    {
        var host = fixture.Host;
        var resetsBefore = host.Resets("carol");

        var (done, _) = await RunAsync(host, host.Http, "carol", approver);

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{how}: {done.Status} {done.Detail}");
        Assert.Contains("four eyes: approved by the user whose password it is", done.Detail, StringComparison.Ordinal);
        Assert.Equal(resetsBefore, host.Resets("carol"));
        await AssertNoCredentialAsync(host.Http, done.Id);
    }

    public static TheoryData<string, Resource?, string> NotOnePerson => new()
    {
        { "not in the directory", new Resource { Kind = "user", Email = "zed@elsewhere.example" }, "is not a person of the directory" },
        { "a display name only (Bob's)", new Resource { Kind = "user", DisplayName = "Bob Smith" }, "carries no id or email" },
        { "an id the directory does not know, with Bob's display name", new Resource { Kind = "user", Id = "U0BOB", DisplayName = "Bob Smith" }, "is not a person of the directory" },
        { "a disabled person", new Resource { Kind = "user", Email = "dana@local" }, "is disabled in the directory" },
        { "two people at once", new Resource { Kind = "user", Email = "bob@local", AltIds = ["alice@local"] }, "names 2 directory people" },
        { "an Indent bot nobody listed", new Resource { Kind = "bot", Id = "indent-rule-7", DisplayName = "Auto-approve rule" }, "is not a person of the directory" },
        { "no approver at all", null, "the grant names no approver" },
    };

    [Theory]
    [MemberData(nameof(NotOnePerson))]
    public async Task Grant_NotByExactlyOneEnabledPerson_Denied_NoReset_GrantRevoked(string how, Resource? approver, string rule)
    {
        var host = fixture.Host;
        var target = "t-" + Slug(how);
        host.Know(target);

        var (done, petition) = await RunAsync(host, host.Http, target, approver);

        Assert.True(done.Status == ApprovalStatuses.Denied, $"{how}: {done.Status} {done.Detail}");
        Assert.Contains(rule, done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Resets(target));
        Assert.Equal(IndentPhases.Revoked, (await host.Indent.GetPetitionAsync(petition)).Phase);
        await AssertNoCredentialAsync(host.Http, done.Id);
    }

    public static TheoryData<string, Resource> SomeoneElse => new()
    {
        { "by email", new Resource { Kind = "user", Id = "bob@local", Email = "bob@local" } },
        { "by altIds alone", new Resource { Kind = "user", Id = "U0BOB", AltIds = ["BOB@local"] } },
    };

    [Theory]
    [MemberData(nameof(SomeoneElse))]
    public async Task Grant_ByASecondPerson_Completed_OneReset(string how, Resource approver)
    {
        var host = fixture.Host;
        var target = "ok-" + Slug(how);
        host.Know(target);
        using var carol = host.As(Carol);

        var (done, _) = await RunAsync(host, carol, target, approver);

        Assert.True(done.Status == ApprovalStatuses.Completed, $"{how}: {done.Status} {done.Detail}");
        Assert.Equal(1, host.Resets(target));
    }

    [Fact]
    public async Task Grant_ByTheListedAutoApprovalRule_Completed_RecordedAsAutomatic()
    {
        var host = fixture.Host;
        host.Know("auto-target");

        var (done, _) = await RunAsync(host, host.Http, "auto-target", new Resource { Kind = "user", Id = IndentEmulator.AutoApprover, Email = IndentEmulator.AutoApprover });

        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Contains($"approved automatically by {IndentEmulator.AutoApprover}", done.Detail, StringComparison.Ordinal);
        Assert.Equal(1, host.Resets("auto-target"));
    }

    [Fact]
    public async Task Petitioner_IsTheDirectoryPerson_NotTheTokenName()
    {
        var host = fixture.Host;
        host.Know("petitioner-target");
        using var carol = host.As(Carol);

        using var response = await host.PostResetAsync("petitioner-target", "to recover account", http: carol);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var petition = await host.Indent.GetPetitionAsync((await host.WaitForPetitionAsync(id)).Petition!);

        var petitioner = Assert.Single(petition.Petitioners!);
        Assert.Equal("carol", petitioner.Id); // the object id
        Assert.Equal("carol.chen@local", petitioner.Email); // her mail, as the directory has it (she signed in as carol@local)
        Assert.Equal("Carol Chen", petitioner.DisplayName);
        host.Emulator.Claim(petition.Name!, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
    }

    static async Task<(ApprovalView Done, string Petition)> RunAsync(TestHost host, HttpClient requester, string target, Resource? approver)
    {
        using var response = await host.PostResetAsync(target, "to recover account", http: requester);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, approver);
        return (await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000), petition);
    }

    /// <summary>The one-time password route never hands anything out for a refused grant.</summary>
    static async Task AssertNoCredentialAsync(HttpClient requester, string id)
    {
        using var response = await requester.PostAsync($"api/approvals/{id}/credential", null);
        Assert.True(response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Gone, $"credential route answered {(int)response.StatusCode}");
    }

    static string Slug(string text) => string.Concat(text.Where(char.IsAsciiLetterOrDigit)).ToLowerInvariant()[..Math.Min(24, text.Count(char.IsAsciiLetterOrDigit))];
}
