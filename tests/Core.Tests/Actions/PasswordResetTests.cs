using System.Net;
using System.Text.Json;
using Approvals.Core.Actions;
using Approvals.Core.Secrets;
using Approvals.Core.Tests.Support;
using Approvals.Core.Workflow;
using Microsoft.Extensions.Time.Testing;

namespace Approvals.Core.Tests.Actions;

/// <summary>The password-reset action against a local Key Vault stand-in (real SecretClient over HTTPS) and a
/// recording user directory.</summary>
public sealed class PasswordResetTests
{
    /// <summary>A directory that records what it was asked to set, and can fail on demand (a crash mid-action).</summary>
    sealed class RecordingDirectory : IUserDirectory
    {
        public List<(string User, string Password)> Sets { get; } = [];
        public int FailNext { get; set; }

        /// <summary>Writes, then fails this many times: the write is done but the caller never hears (a crash right after it).</summary>
        public int DieAfterWrite { get; set; }
        public HashSet<string> Missing { get; } = [];
        public Dictionary<string, DateTimeOffset> ChangedAt { get; } = [];

        public Task<DirectoryUser?> FindUserAsync(string userId, CancellationToken cancellationToken = default) =>
            Task.FromResult<DirectoryUser?>(Missing.Contains(userId) ? null : new DirectoryUser(userId, userId, userId + "@acme.test", null, true));

        public Task<DateTimeOffset?> GetPasswordChangedAtAsync(string userId, CancellationToken cancellationToken = default) =>
            Missing.Contains(userId) ? throw new UserNotFoundException(userId) : Task.FromResult<DateTimeOffset?>(ChangedAt.TryGetValue(userId, out var at) ? at : null);

        public Task SetTemporaryPasswordAsync(string userId, string password, CancellationToken cancellationToken = default)
        {
            if (Missing.Contains(userId))
            {
                throw new UserNotFoundException(userId);
            }

            if (FailNext-- > 0)
            {
                throw new HttpRequestException("directory unavailable");
            }

            lock (Sets)
            {
                Sets.Add((userId, password));
                ChangedAt[userId] = DateTimeOffset.UtcNow;
            }

            if (DieAfterWrite-- > 0)
            {
                throw new HttpRequestException("connection lost after the write");
            }

            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task ResetAsync_StoresCredentialWithExpiryInKeyVault_ReturnsOnlyItsReference()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var directory = new RecordingDirectory();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        var service = new PasswordResetService(directory, new KeyVaultCredentialStore(vault.Client()), clock);

        var outcome = await service.ResetAsync("reset-password-123-0123456789abcdef", "123");

        var (user, password) = Assert.Single(directory.Sets);
        Assert.Equal("123", user);
        var stored = Assert.Single(vault.Secrets[PasswordResetService.CredentialName("reset-password-123-0123456789abcdef")]);
        Assert.Equal(password, stored.Value);
        Assert.Equal(clock.GetUtcNow().AddHours(24).ToUnixTimeSeconds(), stored.Expires);
        Assert.Equal("true", stored.Tags["applied"]);
        Assert.Equal(stored.Id, outcome.CredentialReference);
        Assert.DoesNotContain(password, JsonSerializer.Serialize(outcome), StringComparison.Ordinal);
        Assert.True(outcome.ForceChangeAtNextSignIn);
    }

    [Fact]
    public async Task ResetAsync_Retried_DoesNotResetTwice()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var directory = new RecordingDirectory();
        var service = new PasswordResetService(directory, new KeyVaultCredentialStore(vault.Client()), TimeProvider.System);

        var first = await service.ResetAsync("reset-password-9-0123456789abcdef", "9");
        var second = await service.ResetAsync("reset-password-9-0123456789abcdef", "9");
        var found = await service.FindCompletedAsync("reset-password-9-0123456789abcdef", "9");

        Assert.Single(directory.Sets);
        Assert.Equal(first.CredentialReference, second.CredentialReference);
        Assert.Equal(first.CredentialReference, found!.CredentialReference);
    }

    [Fact]
    public async Task ResetAsync_CrashAfterStoringBeforeApplying_RetryAppliesTheSameCredential()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var directory = new RecordingDirectory { FailNext = 1 };
        var service = new PasswordResetService(directory, new KeyVaultCredentialStore(vault.Client()), TimeProvider.System);

        await Assert.ThrowsAsync<HttpRequestException>(() => service.ResetAsync("reset-password-7-0123456789abcdef", "7"));
        Assert.Null(await service.FindCompletedAsync("reset-password-7-0123456789abcdef", "7"));
        await service.ResetAsync("reset-password-7-0123456789abcdef", "7");

        var stored = Assert.Single(vault.Secrets[PasswordResetService.CredentialName("reset-password-7-0123456789abcdef")]);
        Assert.Equal(stored.Value, Assert.Single(directory.Sets).Password);
    }

    /// <summary>A store whose "mark applied" fails (a Key Vault outage after the directory write).</summary>
    sealed class UnmarkableStore(ICredentialStore inner) : ICredentialStore
    {
        public Task<StoredCredential?> GetAsync(string name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

        public Task<StoredCredential> AddAsync(string name, string value, DateTimeOffset expiresOn, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default) =>
            inner.AddAsync(name, value, expiresOn, tags, cancellationToken);

        public Task MarkAppliedAsync(string name, CancellationToken cancellationToken = default) => throw new HttpRequestException("Key Vault unavailable");

        public Task<bool> DestroyAsync(string name, CancellationToken cancellationToken = default) => inner.DestroyAsync(name, cancellationToken);
    }

    [Fact]
    public async Task ResetAsync_DiedBetweenWriteAndMark_RetryDoesNotWriteAgain()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var directory = new RecordingDirectory { DieAfterWrite = 1 };
        var service = new PasswordResetService(directory, new KeyVaultCredentialStore(vault.Client()), TimeProvider.System);

        await Assert.ThrowsAsync<HttpRequestException>(() => service.ResetAsync("reset-password-5-0123456789abcdef", "5"));
        var outcome = await service.ResetAsync("reset-password-5-0123456789abcdef", "5");

        var (_, password) = Assert.Single(directory.Sets);
        var stored = Assert.Single(vault.Secrets[PasswordResetService.CredentialName("reset-password-5-0123456789abcdef")]);
        Assert.Equal(stored.Value, password);
        Assert.Equal(stored.Id, outcome.CredentialReference);
        Assert.Equal("true", stored.Tags["applied"]);
    }

    [Fact]
    public async Task ResetAsync_WrittenButMarkFails_ReportsTheResetThatHappened_NeverWritesAgain()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var directory = new RecordingDirectory();
        var service = new PasswordResetService(directory, new UnmarkableStore(new KeyVaultCredentialStore(vault.Client())), TimeProvider.System);

        var first = await service.ResetAsync("reset-password-4-0123456789abcdef", "4");
        var again = await service.ResetAsync("reset-password-4-0123456789abcdef", "4");

        Assert.Single(directory.Sets);
        var stored = Assert.Single(vault.Secrets[PasswordResetService.CredentialName("reset-password-4-0123456789abcdef")]);
        Assert.Equal(stored.Id, first.CredentialReference);
        Assert.Equal(first, again);
    }

    [Fact]
    public async Task ResetAsync_TwoOverlappingDeliveries_AdoptOneCredential_UserHoldsTheRecordedOne()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var directory = new RecordingDirectory();
        var service = new PasswordResetService(directory, new KeyVaultCredentialStore(vault.Client()), TimeProvider.System);

        var outcomes = await Task.WhenAll(
            Task.Run(() => service.ResetAsync("reset-password-3-0123456789abcdef", "3")),
            Task.Run(() => service.ResetAsync("reset-password-3-0123456789abcdef", "3")));

        Assert.Equal(outcomes[0].CredentialReference, outcomes[1].CredentialReference);
        var recorded = vault.Secrets[PasswordResetService.CredentialName("reset-password-3-0123456789abcdef")].Single(v => v.Id == outcomes[0].CredentialReference);
        Assert.All(directory.Sets, set => Assert.Equal(recorded.Value, set.Password));
        Assert.Equal(recorded.Value, directory.Sets[^1].Password);
    }

    sealed class RefusingDirectory(HttpStatusCode status) : IUserDirectory
    {
        public Task SetTemporaryPasswordAsync(string userId, string password, CancellationToken cancellationToken = default) =>
            throw new HttpRequestException($"Microsoft Graph refused to reset the password of '{userId}' with HTTP {(int)status}.", null, status);

        public Task<DateTimeOffset?> GetPasswordChangedAtAsync(string userId, CancellationToken cancellationToken = default) => Task.FromResult<DateTimeOffset?>(null);

        public Task<DirectoryUser?> FindUserAsync(string userId, CancellationToken cancellationToken = default) => Task.FromResult<DirectoryUser?>(null);
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, "User Administrator")]
    [InlineData(HttpStatusCode.BadRequest, "federated")]
    public async Task ResetAsync_GraphRefuses_PermanentFailureSayingWhy(HttpStatusCode status, string why)
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var service = new PasswordResetService(new RefusingDirectory(status), new KeyVaultCredentialStore(vault.Client()), TimeProvider.System);

        var error = await Assert.ThrowsAsync<PermanentActivityFailureException>(() => service.ResetAsync("reset-password-8-0123456789abcdef", "8"));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetAsync_UnknownUser_PermanentFailure()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var directory = new RecordingDirectory();
        directory.Missing.Add("ghost");
        var service = new PasswordResetService(directory, new KeyVaultCredentialStore(vault.Client()), TimeProvider.System);

        await Assert.ThrowsAsync<PermanentActivityFailureException>(() => service.ResetAsync("reset-password-ghost-0123456789abcdef", "ghost"));
    }

    [Fact]
    public void TemporaryPassword_FromCsprng_MeetsComplexity_AndDiffers()
    {
        var passwords = Enumerable.Range(0, 200).Select(_ => TemporaryPassword.Generate()).ToList();

        Assert.Equal(200, passwords.Distinct().Count());
        Assert.All(passwords, p =>
        {
            Assert.Equal(20, p.Length);
            Assert.Contains(p, char.IsUpper);
            Assert.Contains(p, char.IsLower);
            Assert.Contains(p, char.IsDigit);
            Assert.Contains(p, c => !char.IsLetterOrDigit(c));
        });
    }

    [Theory]
    [InlineData("https://graph.microsoft.com/v1.0/", "https://graph.microsoft.com/.default")]
    [InlineData("https://graph.microsoft.us/v1.0/", "https://graph.microsoft.us/.default")]
    [InlineData("https://microsoftgraph.chinacloudapi.cn/v1.0/", "https://microsoftgraph.chinacloudapi.cn/.default")]
    public void EntraUserDirectory_TokenScope_FollowsGraphBaseUrl(string baseUrl, string scope) =>
        Assert.Equal(scope, EntraUserDirectory.ScopeFor(new Uri(baseUrl)));

    [Fact]
    public async Task EntraUserDirectory_ReadsLastPasswordChangeFromGraph()
    {
        await using var graph = await LoopbackServer.StartAsync((ctx, req) =>
            req.PathAndQuery.Contains("ghost", StringComparison.Ordinal) ? LoopbackServer.WriteJsonAsync(ctx, "{\"error\":{\"code\":\"Request_ResourceNotFound\"}}", 404)
            : req.PathAndQuery.Contains("never", StringComparison.Ordinal) ? LoopbackServer.WriteJsonAsync(ctx, "{\"lastPasswordChangeDateTime\":null}")
            : LoopbackServer.WriteJsonAsync(ctx, "{\"lastPasswordChangeDateTime\":\"2026-11-28T09:15:02Z\"}"));
        using var http = new HttpClient { BaseAddress = new Uri(graph.BaseAddress, "v1.0/") };
        var directory = new EntraUserDirectory(http, new FakeKeyVault.StaticCredential());

        var changed = await directory.GetPasswordChangedAtAsync("alice@acme.test");
        var never = await directory.GetPasswordChangedAtAsync("never@acme.test");

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 9, 15, 2, TimeSpan.Zero), changed);
        Assert.Null(never);
        await Assert.ThrowsAsync<UserNotFoundException>(() => directory.GetPasswordChangedAtAsync("ghost"));
        var read = graph.Requests.First();
        Assert.Equal("GET", read.Method);
        Assert.Equal("/v1.0/users/alice@acme.test?$select=lastPasswordChangeDateTime", read.PathAndQuery);
    }

    [Fact]
    public async Task EntraUserDirectory_PatchesPasswordProfileWithGraphToken()
    {
        await using var graph = await LoopbackServer.StartAsync((ctx, req) =>
            req.PathAndQuery.Contains("ghost", StringComparison.Ordinal) ? LoopbackServer.WriteJsonAsync(ctx, "{\"error\":{\"code\":\"Request_ResourceNotFound\"}}", 404)
            : req.PathAndQuery.Contains("admin", StringComparison.Ordinal) ? LoopbackServer.WriteJsonAsync(ctx, "{\"error\":{\"code\":\"Authorization_RequestDenied\",\"message\":\"Insufficient privileges to complete the operation.\"}}", 403)
            : req.PathAndQuery.Contains("echo", StringComparison.Ordinal) ? LoopbackServer.WriteJsonAsync(ctx, "{\"error\":{\"code\":\"Request_BadRequest\",\"message\":\"Bad password Temp-Pass-123!\"}}", 400)
            : Task.CompletedTask.ContinueWith(_ => ctx.Response.StatusCode = 204, TaskScheduler.Default));
        var credential = new FakeKeyVault.StaticCredential();
        using var http = new HttpClient { BaseAddress = new Uri(graph.BaseAddress, "v1.0/") };
        var directory = new EntraUserDirectory(http, credential);

        await directory.SetTemporaryPasswordAsync("alice@acme.test", "Temp-Pass-123!");
        await Assert.ThrowsAsync<UserNotFoundException>(() => directory.SetTemporaryPasswordAsync("ghost", "Temp-Pass-123!"));
        var denied = await Assert.ThrowsAsync<GraphRefusedException>(() => directory.SetTemporaryPasswordAsync("admin", "Temp-Pass-123!"));
        var echoed = await Assert.ThrowsAsync<GraphRefusedException>(() => directory.SetTemporaryPasswordAsync("echo", "Temp-Pass-123!"));

        var patch = graph.Requests.First();
        Assert.Equal("PATCH", patch.Method);
        Assert.Equal("/v1.0/users/alice@acme.test", patch.PathAndQuery);
        Assert.Equal("Bearer fake-entra-token", patch.Headers["Authorization"]);
        Assert.Equal("""{"passwordProfile":{"password":"Temp-Pass-123!","forceChangePasswordNextSignIn":true}}""", patch.Body);
        Assert.Contains(EntraUserDirectory.ScopeFor(http.BaseAddress!), credential.Scopes);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("Authorization_RequestDenied", denied.Code);
        Assert.Null(denied.GraphMessage); // a call that sent a password keeps only Graph's code
        Assert.DoesNotContain("Temp-Pass-123!", denied.ToString(), StringComparison.Ordinal);
        Assert.Equal("Request_BadRequest", echoed.Code);
        Assert.DoesNotContain("Temp-Pass-123!", echoed.ToString(), StringComparison.Ordinal); // Graph's message quoted the password: never carried
    }

    [Fact]
    public async Task KeyVaultSecretProvider_CachesThenSeesRotationAfterRefreshInterval()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        vault.Seed("indent-api-token", "token-v1");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var provider = new KeyVaultSecretProvider(vault.Client(), clock);

        int Gets() => vault.Requests.Count(r => r.StartsWith("GET /secrets/indent-api-token", StringComparison.Ordinal));
        var first = await provider.GetSecretAsync("INDENT_API_TOKEN");
        var afterFirst = Gets();
        vault.Seed("indent-api-token", "token-v2");
        var cached = await provider.GetSecretAsync("INDENT_API_TOKEN");
        var gets = Gets() - afterFirst;
        clock.Advance(KeyVaultSecretProvider.RefreshInterval);
        var rotated = await provider.GetSecretAsync("INDENT_API_TOKEN");
        var missing = await provider.GetSecretAsync("INDENT_WEBHOOK_SECRET");

        Assert.Equal("token-v1", first);
        Assert.Equal("token-v1", cached);
        Assert.Equal(0, gets);
        Assert.Equal("token-v2", rotated);
        Assert.Null(missing);
    }
}
