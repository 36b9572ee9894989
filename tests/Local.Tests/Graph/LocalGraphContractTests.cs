using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Approvals.Local.Actions;
using Approvals.Local.Graph;
using Approvals.Local.Tests.Support;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Graph;

/// <summary>The local Microsoft Graph's wire contract: each answer as Microsoft's page for the call documents it (the pages
/// are cited in <see cref="GraphEmulator"/>), counted from the local Graph's own request log.</summary>
public sealed class LocalGraphContractTests
{
    static async Task<(TestHost Host, HttpClient Graph)> StartAsync()
    {
        var host = await TestHost.StartAsync();
        var root = GraphEndpoints.BaseUrl(host.Host.BaseAddress);
        var credential = host.Host.Services.GetRequiredService<TokenCredential>();
        var token = await credential.GetTokenAsync(new TokenRequestContext([root.GetLeftPart(UriPartial.Authority) + "/.default"]), default);
        var graph = new HttpClient { BaseAddress = root };
        graph.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return (host, graph);
    }

    static GraphEmulator Emulator(TestHost host) => host.Host.Services.GetRequiredService<GraphEmulator>();

    static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient graph, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await graph.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    static string ErrorCode(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    static string ErrorMessage(JsonElement body) => body.GetProperty("error").GetProperty("message").GetString()!;

    static string Add(string member) => $$"""{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/{{member}}"}""";

    [Fact]
    public async Task AnyCall_WithoutOrWithAForeignToken_401InvalidAuthenticationToken_NothingRead()
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;
        using var anonymous = new HttpClient { BaseAddress = graph.BaseAddress };
        using var foreign = new HttpClient { BaseAddress = graph.BaseAddress };
        // A token of the same issuer for another resource (the API's audience), as Entra would issue for a different scope.
        foreign.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Host.MintToken("alice@local"));

        var none = await SendAsync(anonymous, HttpMethod.Get, "users/123");
        var wrong = await SendAsync(foreign, HttpMethod.Get, "users/123");

        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Equal("InvalidAuthenticationToken", ErrorCode(none.Body));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal("InvalidAuthenticationToken", ErrorCode(wrong.Body));
        Assert.False(string.IsNullOrEmpty(none.Body.GetProperty("error").GetProperty("innerError").GetProperty("request-id").GetString()));
        Assert.All(Emulator(host).Requests, r => Assert.Equal(401, r.Status));
    }

    [Fact]
    public async Task GetUser_ByIdOrUpn_SelectedPropertiesOnly_UnknownIs404ResourceNotFound()
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;
        host.Users.Add(new LocalPerson("carol", "Carol Diaz", "carol.diaz@contoso.test", UserPrincipalName: "cdiaz@contoso.test", ProxyAddresses: ["SMTP:carol.diaz@contoso.test", "smtp:cd@contoso.test"]));

        var byId = await SendAsync(graph, HttpMethod.Get, "users/carol?$select=id,mail,userPrincipalName,accountEnabled,proxyAddresses");
        var byUpn = await SendAsync(graph, HttpMethod.Get, "users/CDIAZ@contoso.test");
        var missing = await SendAsync(graph, HttpMethod.Get, "users/nobody");
        var badSelect = await SendAsync(graph, HttpMethod.Get, "users/carol?$select=password");

        Assert.Equal(HttpStatusCode.OK, byId.Status);
        Assert.Equal("cdiaz@contoso.test", byId.Body.GetProperty("userPrincipalName").GetString());
        Assert.Equal("carol.diaz@contoso.test", byId.Body.GetProperty("mail").GetString());
        Assert.True(byId.Body.GetProperty("accountEnabled").GetBoolean());
        Assert.Equal(2, byId.Body.GetProperty("proxyAddresses").GetArrayLength());
        Assert.False(byId.Body.TryGetProperty("displayName", out _), "only what $select names");
        Assert.Equal("carol", byUpn.Body.GetProperty("id").GetString());
        Assert.False(byUpn.Body.TryGetProperty("accountEnabled", out _), "accountEnabled is returned only on $select");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("Request_ResourceNotFound", ErrorCode(missing.Body));
        Assert.Equal(HttpStatusCode.BadRequest, badSelect.Status);
    }

    [Theory]
    [InlineData("mail eq 'carol.diaz@contoso.test'")]
    [InlineData("userPrincipalName eq 'CDiaz@Contoso.test'")]
    [InlineData("proxyAddresses/any(x:x eq 'smtp:cd@contoso.test')")]
    [InlineData("otherMails/any(x:x eq 'carol@home.test')")]
    [InlineData("mail eq 'nobody@x.test' or otherMails/any(x:x eq 'carol@home.test')")]
    public async Task ListUsers_PeopleResolvingFilters_FindThePerson(string filter)
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;
        host.Users.Add(new LocalPerson("carol", "Carol Diaz", "carol.diaz@contoso.test", UserPrincipalName: "cdiaz@contoso.test", ProxyAddresses: ["SMTP:carol.diaz@contoso.test", "smtp:cd@contoso.test"], OtherMails: ["carol@home.test"]));

        var found = await SendAsync(graph, HttpMethod.Get, "users?$select=id&$filter=" + Uri.EscapeDataString(filter));

        Assert.Equal(HttpStatusCode.OK, found.Status);
        Assert.Equal(["carol"], found.Body.GetProperty("value").EnumerateArray().Select(u => u.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("displayName eq 'Carol Diaz'")]
    [InlineData("startswith(mail,'carol')")]
    [InlineData("mail ne 'x'")]
    public async Task ListUsers_AFilterItDoesNotServe_400UnsupportedQuery(string filter)
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;

        var refused = await SendAsync(graph, HttpMethod.Get, "users?$filter=" + Uri.EscapeDataString(filter));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("Request_UnsupportedQuery", ErrorCode(refused.Body));
    }

    [Fact]
    public async Task Members_AddThenAgain_RemoveThenAgain_204_400AlreadyExist_204_404_ChangesLoggedOnce()
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;

        var added = await SendAsync(graph, HttpMethod.Post, $"groups/{LocalGroups.Production}/members/$ref", Add("bob"));
        var again = await SendAsync(graph, HttpMethod.Post, $"groups/{LocalGroups.Production}/members/$ref", Add("bob"));
        var check = await SendAsync(graph, HttpMethod.Post, "users/bob/checkMemberGroups", $$"""{"groupIds":["{{LocalGroups.Production}}","{{LocalGroups.MailEnabled}}"]}""");
        var removed = await SendAsync(graph, HttpMethod.Delete, $"groups/{LocalGroups.Production}/members/bob/$ref");
        var removedAgain = await SendAsync(graph, HttpMethod.Delete, $"groups/{LocalGroups.Production}/members/bob/$ref");
        var unknownMember = await SendAsync(graph, HttpMethod.Post, $"groups/{LocalGroups.Production}/members/$ref", Add("nobody"));
        var unknownGroup = await SendAsync(graph, HttpMethod.Post, "groups/no-such-group/members/$ref", Add("bob"));

        Assert.Equal(HttpStatusCode.NoContent, added.Status);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Equal("Request_BadRequest", ErrorCode(again.Body));
        Assert.Contains("added object references already exist", ErrorMessage(again.Body), StringComparison.Ordinal);
        Assert.Equal([LocalGroups.Production], check.Body.GetProperty("value").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(HttpStatusCode.NoContent, removed.Status);
        Assert.Equal(HttpStatusCode.NotFound, removedAgain.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknownMember.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknownGroup.Status);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], FileGroups.Log(host.DataDirectory).Select(c => c.Change));
    }

    [Fact]
    public async Task Members_MailEnabledGroup400_RoleAssignableGroup403_NothingChanged()
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;

        var mail = await SendAsync(graph, HttpMethod.Post, $"groups/{LocalGroups.MailEnabled}/members/$ref", Add("bob"));
        var role = await SendAsync(graph, HttpMethod.Post, $"groups/{LocalGroups.RoleAssignable}/members/$ref", Add("bob"));

        Assert.Equal(HttpStatusCode.BadRequest, mail.Status);
        Assert.Contains("mail-enabled", ErrorMessage(mail.Body), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, role.Status);
        Assert.Equal("Authorization_RequestDenied", ErrorCode(role.Body));
        Assert.Empty(FileGroups.Log(host.DataDirectory));
    }

    [Theory]
    [InlineData("123", HttpStatusCode.NoContent, null)]
    [InlineData("ada", HttpStatusCode.Forbidden, "Authorization_RequestDenied")] // a Global Administrator: beyond User Administrator
    [InlineData("fred", HttpStatusCode.BadRequest, "Request_BadRequest")]       // federated: the password is not Entra's
    [InlineData("nobody", HttpStatusCode.NotFound, "Request_ResourceNotFound")]
    public async Task PatchPasswordProfile_AsWhoCanResetPasswordsSays(string user, HttpStatusCode expected, string? code)
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;

        var answer = await SendAsync(graph, HttpMethod.Patch, "users/" + user, """{"passwordProfile":{"password":"Tmp-Pa55word!xyz","forceChangePasswordNextSignIn":true}}""");

        Assert.Equal(expected, answer.Status);
        if (code is not null)
        {
            Assert.Equal(code, ErrorCode(answer.Body));
        }

        Assert.Equal(expected == HttpStatusCode.NoContent ? 1 : 0, FileUserDirectory.Read(host.DataDirectory).Values.Sum(u => u.Resets));
    }

    [Fact]
    public async Task PatchPasswordProfile_WithoutThePermission403_AWeakPassword400_OtherProperties501_NothingWritten()
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;

        var weak = await SendAsync(graph, HttpMethod.Patch, "users/123", """{"passwordProfile":{"password":"short"}}""");
        var other = await SendAsync(graph, HttpMethod.Patch, "users/123", """{"accountEnabled":false}""");
        Emulator(host).App = GraphApp.Default with { Permissions = [GraphPermissions.UserRead] };
        var unpermitted = await SendAsync(graph, HttpMethod.Patch, "users/123", """{"passwordProfile":{"password":"Tmp-Pa55word!xyz"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, weak.Status);
        Assert.Equal(HttpStatusCode.NotImplemented, other.Status);
        Assert.Equal(HttpStatusCode.Forbidden, unpermitted.Status);
        Assert.Empty(FileUserDirectory.Read(host.DataDirectory));
    }

    [Fact]
    public async Task ARouteItDoesNotServe_501NamingIt_NeverASuccess()
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;

        var answer = await SendAsync(graph, HttpMethod.Delete, "users/123");

        Assert.Equal(HttpStatusCode.NotImplemented, answer.Status);
        Assert.Contains("DELETE /graph/v1.0/users/123", ErrorMessage(answer.Body), StringComparison.Ordinal);
        Assert.Contains("123", FileUserDirectory.ReadPeople(host.DataDirectory).Keys);
    }

    [Fact]
    public async Task InjectedThrottling_429WithRetryAfter_CountedWhenFired()
    {
        var (host, graph) = await StartAsync();
        await using var owner = host;
        Emulator(host).Faults.Set(new Approvals.Local.Emulator.FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 3 });

        using var response = await graph.GetAsync("users/123");
        using var next = await graph.GetAsync("users/123");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, Emulator(host).Faults.Fired);
        Assert.Equal([429, 200], Emulator(host).Requests.Select(r => r.Status));
    }
}
