using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Identity;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Api;

/// <summary>One host for the refusal matrix: nothing in it may start anything.</summary>
public sealed class RefusalHost : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Every route but the webhook and health: 401 (with <c>WWW-Authenticate</c>, problem+json) for a missing,
/// expired, wrongly signed, wrong-issuer and wrong-audience token; 403 for a token without the route's role, without
/// an <c>oid</c>, or issued to a client application not listed in <c>APPROVALS_AUTH_CLIENTS</c>.</summary>
public sealed class AuthenticationTests(RefusalHost fixture) : IClassFixture<RefusalHost>
{
    static readonly string SomeId = ApprovalIds.New(WorkflowLabels.ResetPasswordAction, "123");

    public static TheoryData<string, string> Routes => new()
    {
        { "POST", "api/password-resets" },
        { "GET", "api/resources" },
        { "POST", "api/access-requests" },
        { "GET", $"api/approvals/{SomeId}" },
        { "POST", $"api/approvals/{SomeId}/cancel" },
        { "GET", $"api/approvals/{SomeId}/history" },
        { "POST", $"api/approvals/{SomeId}/credential" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_BadTokens_401_NoRole_403_NothingStarted(string method, string path)
    {
        var host = fixture.Host;
        var issuer = LocalIssuer.Open(host.DataDirectory);
        var now = DateTimeOffset.UtcNow;
        var other = Directory.CreateTempSubdirectory("other-issuer-").FullName;
        Actions.FileUserDirectory.EnsurePerson(host.DataDirectory, "eve@local"); // a person of the directory, so only the token is wrong
        var cases = new (string Name, string? Token, HttpStatusCode Expected)[]
        {
            ("missing", null, HttpStatusCode.Unauthorized),
            ("expired", issuer.Mint("eve@local", ApprovalsRoles.All, TimeSpan.FromMinutes(-10), now), HttpStatusCode.Unauthorized),
            ("wrongly signed", LocalIssuer.Open(other).Mint("eve@local", ApprovalsRoles.All, TimeSpan.FromHours(1), now), HttpStatusCode.Unauthorized),
            ("wrong issuer", issuer.Mint("eve@local", ApprovalsRoles.All, TimeSpan.FromHours(1), now, issuer: "urn:someone-else"), HttpStatusCode.Unauthorized),
            ("wrong audience", issuer.Mint("eve@local", ApprovalsRoles.All, TimeSpan.FromHours(1), now, audience: "api://another-api"), HttpStatusCode.Unauthorized),
            ("garbage", "not-a-jwt", HttpStatusCode.Unauthorized),
            ("no role", issuer.Mint("eve@local", [], TimeSpan.FromHours(1), now), HttpStatusCode.Forbidden),
            ("no oid", issuer.Mint("eve@local", ApprovalsRoles.All, TimeSpan.FromHours(1), now, withObjectId: false), HttpStatusCode.Forbidden),
            ("a client not listed", issuer.Mint("eve@local", ApprovalsRoles.All, TimeSpan.FromHours(1), now, client: "some-app-eve-consented-to"), HttpStatusCode.Forbidden),
        };

        foreach (var (name, token, expected) in cases)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST")
            {
                request.Content = new StringContent("""{"userId":"123","reason":"to recover account"}""", Encoding.UTF8, "application/json");
            }

            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var plain = new HttpClient { BaseAddress = host.Host.BaseAddress };
            using var response = await plain.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(expected == response.StatusCode, $"{name} token on {method} {path}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var challenge = Assert.Single(response.Headers.WwwAuthenticate);
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.Equal(token is not null, challenge.Parameter is not null); // no error code when no token was sent (RFC 6750)
            if (token is not null)
            {
                Assert.DoesNotContain(token, body, StringComparison.Ordinal);
            }
        }

        Assert.Empty(host.Emulator.All());
        Directory.Delete(other, recursive: true);
    }

    [Fact]
    public async Task LocalIssuer_PublishesMetadataAndJwks_SigningKeyOwnerOnly()
    {
        var host = fixture.Host;
        using var plain = new HttpClient { BaseAddress = host.Host.BaseAddress };

        using var metadata = JsonDocument.Parse(await plain.GetStringAsync(".well-known/openid-configuration"));
        var jwksUri = metadata.RootElement.GetProperty("jwks_uri").GetString()!;
        using var jwks = JsonDocument.Parse(await plain.GetStringAsync(jwksUri));
        var key = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray().ToList());

        Assert.Equal(LocalIssuer.Issuer, metadata.RootElement.GetProperty("issuer").GetString());
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.Equal(LocalIssuer.Open(host.DataDirectory).KeyId, key.GetProperty("kid").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the JWKS must not carry the private key");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LocalIssuer.KeyFile(host.DataDirectory)));
        }
    }
}

/// <summary>People in the loop, end to end on the embedded engine; resets counted from the local directory's log.</summary>
public sealed class PeopleTests
{
    public static TheoryData<string, string> NotAPersonOnEveryStartRoute => new()
    {
        { "a disabled person", "api/password-resets" },
        { "a disabled person", "api/access-requests" },
        { "an object id the directory does not have", "api/password-resets" },
        { "an object id the directory does not have", "api/access-requests" },
    };

    [Theory]
    [MemberData(nameof(NotAPersonOnEveryStartRoute))]
    public async Task Start_ByATokenOfNoEnabledDirectoryPerson_403_NothingStarted(string who, string route)
    {
        await using var host = await TestHost.StartAsync();
        var issuer = LocalIssuer.Open(host.DataDirectory);
        var token = who == "a disabled person"
            ? issuer.Mint("dana@local", [ApprovalsRoles.Request], TimeSpan.FromHours(1), DateTimeOffset.UtcNow) // seeded, disabled
            : issuer.Mint("gone@local", [ApprovalsRoles.Request], TimeSpan.FromHours(1), DateTimeOffset.UtcNow, objectId: "0b5e7c1e-0000-4000-8000-00000000dead");
        using var caller = new HttpClient { BaseAddress = host.Host.BaseAddress };
        caller.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var body = route.EndsWith("password-resets", StringComparison.Ordinal)
            ? """{"userId":"123","reason":"to recover account"}"""
            : """{"resource":"Production","reason":"to debug production","durationSeconds":60}""";

        using var response = await caller.PostAsync(route, new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadAsStringAsync();
        var instances = 0;
        await foreach (var _ in host.Durable.GetAllInstancesAsync())
        {
            instances++;
        }

        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{who} on {route}: {(int)response.StatusCode} {problem}");
        Assert.Contains("Not a directory person", problem, StringComparison.Ordinal);
        Assert.Equal(0, instances);
        Assert.Empty(host.Emulator.All());
    }

    [Fact]
    public async Task Roles_AsTheReadmeSays_AuditReadsAny_AdminReadsAndCancelsAny_ARequesterOnlyTheirOwn()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As("alice@local");
        using var bob = host.As("bob@local");
        using var auditor = host.As("auditor@local", ApprovalsRoles.Audit);
        using var admin = host.As("admin@local", ApprovalsRoles.Admin);
        var id = await StartAsAsync(host, alice, "123");
        await host.WaitForPetitionAsync(id);

        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"api/approvals/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"api/approvals/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"api/approvals/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync($"api/approvals/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync($"api/approvals/{id}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsync($"api/approvals/{id}/cancel", null)).StatusCode);
        Assert.Equal(ApprovalStatuses.AwaitingApproval, (await host.ViewAsync(id)).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"api/approvals/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"api/approvals/{id}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync($"api/approvals/{id}/credential", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"api/approvals/{id}/cancel", null)).StatusCode);
        Assert.Equal(ApprovalStatuses.Cancelled, (await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status))).Status);
        Assert.Equal(0, host.Resets("123"));
    }

    static async Task<string> StartAsAsync(TestHost host, HttpClient caller, string user, string? key = null, string reason = "locked out")
    {
        using var response = await host.PostResetAsync(user, reason, idempotencyKey: key, http: caller);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Start_PetitionerIsTheRequester_StatusAndHistoryShowWhoAsked()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As("alice@local");

        var id = await StartAsAsync(host, alice, "bob");
        var view = await host.WaitForPetitionAsync(id);
        var petition = await host.Indent.GetPetitionAsync(view.Petition!);
        var history = await alice.GetFromJsonAsync($"api/approvals/{id}/history", ApiJsonContext.Default.HistoryView);

        Assert.Equal("alice@local", petition.Petitioners![0].Email);
        Assert.Equal("reset-password:bob", petition.Resources![0].Id);
        Assert.Equal("alice@local", view.RequestedBy!.Email);
        Assert.Equal("alice@local", history!.RequestedBy!.Email);
        Assert.Contains(history.Entries, e => e.Type == "requested" && e.Name == "alice@local");
    }

    [Fact]
    public async Task Grant_ApprovedByTheRequester_WithTheirOwnIndentToken_Denied_NoReset_Revoked()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As("alice@local");
        var id = await StartAsAsync(host, alice, "bob");
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        // The emulator issues alice an Indent token (as Indent does for people); her claim carries her as the actor.
        using var admin = host.IndentHttp();
        using var issued = await admin.PostAsync("indent/_admin/tokens", new StringContent("""{"email":"alice@local"}""", Encoding.UTF8, "application/json"));
        var aliceIndentToken = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using var asAlice = new HttpClient { BaseAddress = host.Host.BaseAddress };
        asAlice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", aliceIndentToken);
        using var claim = await asAlice.PostAsync($"indent/v1/spaces/acme/petitions/{petition}/claims", new StringContent("""{"claim":{"event":"access/approve","reason":"mine"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);

        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Contains("four eyes: approved by the requester (alice@local is the same directory person)", done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Resets("bob"));
        Assert.Equal(IndentPhases.Revoked, (await host.Indent.GetPetitionAsync(petition)).Phase);
    }

    [Fact]
    public async Task Grant_ApprovedByTheTargetUser_Denied_NoReset()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As("alice@local");
        var id = await StartAsAsync(host, alice, "bob");
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, "BOB@local"); // case does not hide him
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Contains("four eyes: approved by the user whose password it is", done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Resets("bob"));
    }

    [Theory]
    [InlineData("nobody-here", HttpStatusCode.NotFound)]
    [InlineData("dana", HttpStatusCode.Conflict)] // seeded, disabled
    public async Task Start_UnknownOrDisabledTarget_Refused_NoPetition_NothingStarted(string user, HttpStatusCode expected)
    {
        await using var host = await TestHost.StartAsync();
        using var content = new StringContent($$"""{"userId":"{{user}}","reason":"x"}""", Encoding.UTF8, "application/json");

        using var response = await host.Http.PostAsync("api/password-resets", content);
        var instances = new List<string>();
        await foreach (var instance in host.Durable.GetAllInstancesAsync())
        {
            instances.Add(instance.InstanceId);
        }


        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(user, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(host.Emulator.All());
        Assert.Empty(instances);
    }

    [Fact]
    public async Task Credential_RequesterOnly_Once_ThenGone_RevealAudited_SecretDestroyed()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As("alice@local");
        using var bob = host.As("bob@local");
        using var auditor = host.As("audit@local", ApprovalsRoles.Audit);
        var id = await StartAsAsync(host, alice, "carol");
        host.Emulator.Claim((await host.WaitForPetitionAsync(id)).Petition!, new IndentEvent { EventType = IndentEventTypes.Approve }, "bob@local");
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        using var early = await alice.GetFromJsonAsync<JsonDocument>($"api/approvals/{id}");
        using var fromBob = await bob.PostAsync($"api/approvals/{id}/credential", null);
        using var fromAuditor = await auditor.PostAsync($"api/approvals/{id}/credential", null);
        using var first = await alice.PostAsync($"api/approvals/{id}/credential", null);
        var firstBody = await first.Content.ReadAsStringAsync();
        using var again = await alice.PostAsync($"api/approvals/{id}/credential", null);
        await host.Durable.WaitForInstanceCompletionAsync(CredentialRevealOrchestrator.InstanceIdFor(id), new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        var after = await alice.GetFromJsonAsync($"api/approvals/{id}", ApiJsonContext.Default.ApprovalView);
        var history = await alice.GetStringAsync($"api/approvals/{id}/history");

        Assert.Equal(CredentialStates.Available, early!.RootElement.GetProperty("credential").GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.NotFound, fromBob.StatusCode);      // not his: not even there
        Assert.Equal(HttpStatusCode.Forbidden, fromAuditor.StatusCode);  // may read it, may not take the password
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("no-store", first.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var password = JsonDocument.Parse(firstBody).RootElement.GetProperty("password").GetString()!;
        Assert.True(host.Users.Verify("carol", password), "the revealed password is the one the directory holds");
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Equal(CredentialStates.Revealed, after!.Credential!.State);
        Assert.Equal("alice@local", after.Credential.RevealedBy);
        Assert.Contains("credential/revealed", history, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(host.DataDirectory, "secrets")));
        var revealHistory = host.Host.Services.GetRequiredService<Engine.DurableEngine>().Service.RecordedHistory(CredentialRevealOrchestrator.InstanceIdFor(id))!
            .Select(e => Newtonsoft.Json.JsonConvert.SerializeObject(e));
        Assert.Empty(SecretScanner.Find([password], [history, JsonSerializer.Serialize(after), .. revealHistory, .. host.Logs.Lines]));
    }

    /// <summary>The system clock, read later than it is: timers still run on real time.</summary>
    sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }

    [Fact]
    public async Task Credential_NotCollectedBeforeItExpires_Gone_AndDestroyed()
    {
        var clock = new ShiftedClock();
        await using var host = await TestHost.StartAsync(time: clock);
        using var alice = new HttpClient { BaseAddress = host.Host.BaseAddress };
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Host.MintToken("alice@local", lifetime: TimeSpan.FromHours(48)));
        var id = await StartAsAsync(host, alice, "carol");
        host.Emulator.Claim((await host.WaitForPetitionAsync(id)).Petition!, new IndentEvent { EventType = IndentEventTypes.Approve }, "bob@local");
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);
        Assert.Single(Directory.GetFiles(Path.Combine(host.DataDirectory, "secrets")));

        clock.Shift = Core.Actions.PasswordResetService.CredentialLifetime + TimeSpan.FromMinutes(1);
        using var late = await alice.PostAsync($"api/approvals/{id}/credential", null);
        await host.Durable.WaitForInstanceCompletionAsync(CredentialRevealOrchestrator.InstanceIdFor(id), new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        var view = await alice.GetFromJsonAsync($"api/approvals/{id}", ApiJsonContext.Default.ApprovalView);

        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        Assert.Contains("expired", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(CredentialStates.Expired, view!.Credential!.State);
        Assert.Empty(Directory.GetFiles(Path.Combine(host.DataDirectory, "secrets")));
    }

    [Fact]
    public async Task IdempotencyKey_BelongsToTheCaller_ReusedForAnotherUser_409()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As("alice@local");
        using var bob = host.As("bob@local");

        var first = await StartAsAsync(host, alice, "erin", key: "k-1");
        var same = await StartAsAsync(host, alice, "erin", key: "k-1");
        using var otherUser = await host.PostResetAsync("frank", "locked out", idempotencyKey: "k-1", http: alice);
        var bobsOwn = await StartAsAsync(host, bob, "erin", key: "k-1");

        Assert.Equal(first, same);
        Assert.Equal(HttpStatusCode.Conflict, otherUser.StatusCode);
        Assert.Equal("application/problem+json", otherUser.Content.Headers.ContentType?.MediaType);
        Assert.NotEqual(first, bobsOwn);
        Assert.DoesNotContain(host.Emulator.All(), p => p.Resources![0].Id == "reset-password:frank");
    }

    [Fact]
    public async Task ReadsAndCancels_ByRole()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As("alice@local");
        using var bob = host.As("bob@local");
        using var auditor = host.As("audit@local", ApprovalsRoles.Audit);
        using var admin = host.As("admin@local", ApprovalsRoles.Admin);
        var id = await StartAsAsync(host, alice, "erin");
        await host.WaitForPetitionAsync(id);

        using var bobReads = await bob.GetAsync($"api/approvals/{id}");
        using var bobHistory = await bob.GetAsync($"api/approvals/{id}/history");
        using var bobCancels = await bob.PostAsync($"api/approvals/{id}/cancel", null);
        using var auditorReads = await auditor.GetAsync($"api/approvals/{id}");
        using var auditorCancels = await auditor.PostAsync($"api/approvals/{id}/cancel", null);
        using var adminCancels = await admin.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Cancelled);

        Assert.Equal(HttpStatusCode.NotFound, bobReads.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobHistory.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobCancels.StatusCode);
        Assert.Equal(HttpStatusCode.OK, auditorReads.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, auditorCancels.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, adminCancels.StatusCode);
        Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
    }

    [Fact]
    public async Task EmulatorTokens_AdminOnly_BadBody400()
    {
        await using var host = await TestHost.StartAsync();
        using var admin = host.IndentHttp();
        using var anonymous = new HttpClient { BaseAddress = host.Host.BaseAddress };

        using var refused = await anonymous.PostAsync("indent/_admin/tokens", new StringContent("""{"email":"x@local"}""", Encoding.UTF8, "application/json"));
        using var bad = await admin.PostAsync("indent/_admin/tokens", new StringContent("""{"email":"not an email"}""", Encoding.UTF8, "application/json"));
        using var issued = await admin.PostAsync("indent/_admin/tokens", new StringContent("""{"email":"x@local"}""", Encoding.UTF8, "application/json"));
        var token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using var userOnAdmin = new HttpClient { BaseAddress = host.Host.BaseAddress };
        userOnAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var userCannotAdminister = await userOnAdmin.GetAsync("indent/_admin/stats");
        var tampered = token[..^2] + (token[^2] == 'A' ? "BB" : "AA");
        userOnAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tampered);
        using var tamperedRead = await userOnAdmin.GetAsync("indent/v1/spaces/acme/petitions");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("x@local", IndentToken.TryGetSubject(token));
        Assert.Equal(HttpStatusCode.Unauthorized, userCannotAdminister.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tamperedRead.StatusCode);
    }
}
