using System.Collections.Concurrent;
using System.Net;
using Approvals.Core.Identity;
using Approvals.Core.Tests.Support;
using Approvals.Local.Cli;
using Azure.Core;
using Azure.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Approvals.Local.Tests.Cli;

/// <summary>The CLI against a deployed API, signing in through a credential (a stand-in <see cref="TokenCredential"/>
/// here, the Azure CLI's then a device code's in use): the scope it asks for, the bearer it sends, a fresh token before
/// the old one runs out — through a wait longer than a token lives — and what it says, and exits with, on 401 and 403.
/// The API is a small stand-in over real HTTP.</summary>
public sealed class EntraSignInTests
{
    const string Scope = "api://11111111-2222-3333-4444-555555555555/access_as_user";
    static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A credential that hands out tok-1, tok-2, … each valid for <paramref name="lifetime"/> from the fake
    /// clock's now, and records the scopes it was asked for.</summary>
    static Mock<TokenCredential> Credential(FakeTimeProvider time, TimeSpan lifetime, ConcurrentQueue<string[]> asked)
    {
        var credential = new Mock<TokenCredential>();
        var issued = 0;
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns((TokenRequestContext context, CancellationToken _) =>
            {
                asked.Enqueue(context.Scopes);
                return ValueTask.FromResult(new AccessToken($"tok-{Interlocked.Increment(ref issued)}", time.GetUtcNow() + lifetime));
            });
        return credential;
    }

    static ApprovalClient.Options Reset(Uri api, ApiToken token) =>
        new("123", "to recover account", api, null, null, false, null, Token: token);

    [Fact]
    public async Task SignIn_AsksForTheScope_SendsTheCredentialsToken_ReusesItWhileFresh()
    {
        var time = new FakeTimeProvider(Start);
        var asked = new ConcurrentQueue<string[]>();
        var credential = Credential(time, TimeSpan.FromHours(1), asked);
        await using var api = await LoopbackServer.StartAsync((context, _) => LoopbackServer.WriteJsonAsync(context, """{"resources":[],"minDurationSeconds":60,"maxDurationSeconds":3600,"defaultDurationSeconds":600}"""));
        var token = ApiToken.SignIn(credential.Object, Scope, time);

        var code = await ApprovalClient.WithApiAsync(new ApprovalClient.Connection(api.BaseAddress, null, token, null, null), TextWriter.Null, async (http, _, _) =>
        {
            for (var i = 0; i < 3; i++)
            {
                (await http.GetAsync("api/resources")).Dispose();
                time.Advance(TimeSpan.FromMinutes(10));
            }

            return ExitCodes.Done;
        }, CancellationToken.None);

        Assert.Equal(ExitCodes.Done, code);
        Assert.Equal([Scope], Assert.Single(asked));
        Assert.Equal(3, api.Requests.Count);
        Assert.All(api.Requests, r => Assert.Equal("Bearer tok-1", r.Headers["Authorization"]));
    }

    [Fact]
    public async Task SignIn_TokenNearExpiry_AsksForANewOne_AndSendsIt()
    {
        var time = new FakeTimeProvider(Start);
        var asked = new ConcurrentQueue<string[]>();
        var token = ApiToken.SignIn(Credential(time, TimeSpan.FromMinutes(10), asked).Object, Scope, time);

        var first = await token.GetAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(4)); // 6 min left: still outside the margin
        var stillFirst = await token.GetAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(2)); // 4 min left: inside it
        var second = await token.GetAsync(CancellationToken.None);

        Assert.Equal("tok-1", first);
        Assert.Equal("tok-1", stillFirst);
        Assert.Equal("tok-2", second);
        Assert.Equal(2, asked.Count);
        Assert.All(asked, scopes => Assert.Equal([Scope], scopes));
    }

    [Fact]
    public async Task SignIn_TheCredentialsRefreshTime_IsHonouredBeforeTheMargin()
    {
        var time = new FakeTimeProvider(Start);
        var calls = 0;
        var credential = new Mock<TokenCredential>();
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns(() => ValueTask.FromResult(new AccessToken($"tok-{++calls}", time.GetUtcNow().AddHours(1), time.GetUtcNow().AddMinutes(30))));
        var token = ApiToken.SignIn(credential.Object, Scope, time);

        await token.GetAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal("tok-2", await token.GetAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ResetPassword_AWaitLongerThanATokenLives_EveryRequestCarriesAFreshToken_Done()
    {
        // Each status read moves the clock 25 minutes on: the approval takes hours, a token lives one.
        var time = new FakeTimeProvider(Start);
        var asked = new ConcurrentQueue<string[]>();
        var sent = new ConcurrentQueue<(string Bearer, DateTimeOffset At)>();
        var issuedExpiry = new ConcurrentDictionary<string, DateTimeOffset>();
        var credential = new Mock<TokenCredential>();
        var issued = 0;
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns((TokenRequestContext context, CancellationToken _) =>
            {
                asked.Enqueue(context.Scopes);
                var value = $"tok-{Interlocked.Increment(ref issued)}";
                issuedExpiry[value] = time.GetUtcNow().AddHours(1);
                return ValueTask.FromResult(new AccessToken(value, issuedExpiry[value]));
            });
        var reads = 0;
        await using var api = await LoopbackServer.StartAsync((context, request) =>
        {
            sent.Enqueue((request.Headers["Authorization"]["Bearer ".Length..], time.GetUtcNow()));
            return (request.Method, request.PathAndQuery) switch
            {
                ("POST", "/api/password-resets") => LoopbackServer.WriteJsonAsync(context, """{"id":"a1","statusQueryGetUri":"http://x/api/approvals/a1","cancelPostUri":"http://x/api/approvals/a1/cancel","historyGetUri":"http://x/api/approvals/a1/history"}""", 202),
                ("GET", "/api/approvals/a1") => Read(context),
                ("POST", "/api/approvals/a1/credential") => LoopbackServer.WriteJsonAsync(context, """{"password":"Temp-Pass-1","expiresOn":"2026-12-02T09:00:00Z","forceChangeAtNextSignIn":true}"""),
                _ => LoopbackServer.WriteJsonAsync(context, "{}", 404),
            };
        });

        Task Read(HttpContext context)
        {
            time.Advance(TimeSpan.FromMinutes(25));
            var status = Interlocked.Increment(ref reads) < 6 ? "awaiting_approval" : "completed";
            return LoopbackServer.WriteJsonAsync(context, $$$"""{"id":"a1","status":"{{{status}}}","petition":"p1","space":"acme","target":{"id":"123","name":"Sam","signInName":"sam@corp"}}""");
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ApprovalClient.RunAsync(Reset(api.BaseAddress, ApiToken.SignIn(credential.Object, Scope, time)), output, error, CancellationToken.None);

        Assert.True(code == ExitCodes.Done, $"exit {code}\n{output}\n{error}");
        Assert.Contains("done: password reset user:123", output.ToString(), StringComparison.Ordinal);
        Assert.True(asked.Count >= 3, $"asked {asked.Count} times over {time.GetUtcNow() - Start}");
        Assert.All(asked, scopes => Assert.Equal([Scope], scopes));
        Assert.All(sent, s => Assert.True(issuedExpiry[s.Bearer] - s.At > ApiToken.RefreshMargin, $"{s.Bearer} sent at {s.At}, expiring {issuedExpiry[s.Bearer]}"));
        Assert.DoesNotContain("tok-", output.ToString() + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task ResetPassword_ApiRefuses_Exit7_SaysWhyPlainly_NamesScopeOrRoles_NeverTheToken(int status)
    {
        var time = new FakeTimeProvider(Start);
        var asked = new ConcurrentQueue<string[]>();
        await using var api = await LoopbackServer.StartAsync((context, _) =>
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return LoopbackServer.WriteJsonAsync(context, $$"""{"status":{{status}},"title":"refused","detail":"{{(status == 401 ? "The token is not valid." : "The caller has no app role for this route.")}}"}""", status);
        });

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ApprovalClient.RunAsync(Reset(api.BaseAddress, ApiToken.SignIn(Credential(time, TimeSpan.FromHours(1), asked).Object, Scope, time)), output, error, CancellationToken.None);

        Assert.Equal(ExitCodes.Refused, code);
        Assert.Equal(string.Empty, output.ToString());
        var said = error.ToString();
        Assert.Contains($"Refused before anything started (HTTP {status})", said, StringComparison.Ordinal);
        if (status == 401)
        {
            Assert.Contains(Scope, said, StringComparison.Ordinal);
            Assert.Contains(EntraSignIn.ScopeVariable, said, StringComparison.Ordinal);
        }
        else
        {
            Assert.All(ApprovalsRoles.All, role => Assert.Contains(role, said, StringComparison.Ordinal));
        }

        Assert.DoesNotContain("tok-", said, StringComparison.Ordinal);
        Assert.Single(api.Requests); // the start only: nothing retried with the same token
    }

    [Fact]
    public async Task ResetPassword_NoTokenCanBeHad_Exit7_NamesTheScope_NothingSent()
    {
        var credential = new Mock<TokenCredential>();
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new CredentialUnavailableException("Azure CLI not installed; device code sign-in declined."));
        await using var api = await LoopbackServer.StartAsync((context, _) => LoopbackServer.WriteJsonAsync(context, "{}", 500));

        using var error = new StringWriter();
        var code = await ApprovalClient.RunAsync(Reset(api.BaseAddress, ApiToken.SignIn(credential.Object, Scope)), TextWriter.Null, error, CancellationToken.None);

        Assert.Equal(ExitCodes.Refused, code);
        Assert.Contains(Scope, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("az login", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(api.Requests);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task AccessList_ApiRefuses_Exit7_TheGivenTokenSent_NeverPrinted(int status)
    {
        await using var api = await LoopbackServer.StartAsync((context, _) => LoopbackServer.WriteJsonAsync(context, $$"""{"status":{{status}},"detail":"refused"}""", status));

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CommandLine.RunAsync(["access", "list", "--api", api.BaseAddress.ToString(), "--token", "given-token-value"], output, error);

        Assert.Equal(ExitCodes.Refused, code);
        Assert.Equal("Bearer given-token-value", Assert.Single(api.Requests).Headers["Authorization"]);
        Assert.Contains($"HTTP {status}", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("given-token-value", output.ToString() + error, StringComparison.Ordinal);
    }

    [Fact]
    public void Hint_GivenTokenForARemoteApi_401SaysTheCliCanSignIn_403NamesTheRoles()
    {
        var given = ApiToken.Given("given-token-value");

        var unauthorized = ApiRefusal.Hint(HttpStatusCode.Unauthorized, given);
        var forbidden = ApiRefusal.Hint(HttpStatusCode.Forbidden, given);

        Assert.Contains(ApprovalClient.TokenVariable, unauthorized, StringComparison.Ordinal);
        Assert.All(ApprovalsRoles.All, role => Assert.Contains(role, forbidden, StringComparison.Ordinal));
        Assert.DoesNotContain("given-token-value", unauthorized + forbidden, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteApi_NoTokenNoScope_UsageError_NamesWhereTheScopeComesFrom()
    {
        Assert.True(Environment.GetEnvironmentVariable(EntraSignIn.ScopeVariable) is null && Environment.GetEnvironmentVariable(EntraSignIn.ClientIdVariable) is null
            && Environment.GetEnvironmentVariable(ApprovalClient.TokenVariable) is null, "this test needs APPROVALS_API_SCOPE, APPROVALS_API_CLIENT_ID and APPROVALS_TOKEN unset");
        using var error = new StringWriter();

        var code = await CommandLine.RunAsync(["reset-password", "--user", "123", "--reason", "x", "--api", "https://func-approvals.example.invalid"], TextWriter.Null, error);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--scope", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(EntraSignIn.ScopeVariable, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(EntraSignIn.ClientIdVariable, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Hint_LocalHost_SaysNothingMore_SoItsOutputStaysAsItWas()
    {
        Assert.Null(ApiRefusal.Hint(HttpStatusCode.Unauthorized, ApiToken.Given("t", ApiTokenKind.Local)));
        Assert.Null(ApiRefusal.Hint(HttpStatusCode.Forbidden, ApiToken.Given("t", ApiTokenKind.Local)));
        Assert.Null(ApiRefusal.Hint(HttpStatusCode.NotFound, ApiToken.SignIn(Mock.Of<TokenCredential>(), Scope)));
    }

    [Theory]
    [InlineData("api://opt/access_as_user", "api://env/access_as_user", "cid", "api://opt/access_as_user")]
    [InlineData(null, "api://env/access_as_user", "cid", "api://env/access_as_user")]
    [InlineData(null, null, "cid", "api://cid/access_as_user")]
    [InlineData(null, "  ", null, null)]
    public void Scope_OptionThenVariableThenClientId(string? option, string? scopeVariable, string? clientId, string? expected)
    {
        var environment = new Dictionary<string, string?> { [EntraSignIn.ScopeVariable] = scopeVariable, [EntraSignIn.ClientIdVariable] = clientId };

        Assert.Equal(expected, EntraSignIn.Scope(option, name => environment.GetValueOrDefault(name)));
    }
}
