using System.Text;
using Approvals.Core.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace Approvals.Core.Tests.Webhooks;

public sealed class IndentWebhookVerifierTests
{
    // Indent's published vector, from the @indent/webhook package's test/signature.test.ts.
    const string VectorSecret = "secret_123";
    const string VectorTimestamp = "2020-05-01T07:00:00Z";
    const string VectorBody = """{"events":[{"event":"access/grant","timestamp":"2020-05-01T07:00:00Z"}]}""";
    const string VectorSignature = "c27f187960625ebccc33336030b071dac1d54b1e98d9e27fe5452ee00c935fb0";

    static readonly DateTimeOffset VectorTime = DateTimeOffset.Parse(VectorTimestamp, System.Globalization.CultureInfo.InvariantCulture);

    static IndentWebhookVerifier VerifierAt(DateTimeOffset now, TimeSpan? tolerance = null) => new(new FakeTimeProvider(now), tolerance);

    static WebhookVerification Verify(IndentWebhookVerifier verifier, string body, string? timestamp, string? signature, params string[] secrets) =>
        verifier.Verify(Encoding.UTF8.GetBytes(body), timestamp is null ? null : [timestamp], signature is null ? null : [signature], secrets);

    [Fact]
    public void Sign_IndentVector_MatchesPublishedSignature() =>
        Assert.Equal(VectorSignature, IndentWebhookSignature.Sign(VectorSecret, VectorTimestamp, Encoding.UTF8.GetBytes(VectorBody)));

    [Fact]
    public void Verify_IndentVector_Accepted()
    {
        var result = Verify(VerifierAt(VectorTime.AddSeconds(30)), VectorBody, VectorTimestamp, VectorSignature, VectorSecret);

        Assert.True(result.IsValid, result.Describe());
        Assert.Equal(VectorTime, result.Timestamp);
    }

    [Fact]
    public void Verify_EveryOneByteMutationOfBody_Rejected()
    {
        var verifier = VerifierAt(VectorTime);
        var bytes = Encoding.UTF8.GetBytes(VectorBody);
        for (var i = 0; i < bytes.Length; i++)
        {
            var mutated = (byte[])bytes.Clone();
            mutated[i] ^= 0x01;
            var result = verifier.Verify(mutated, [VectorTimestamp], [VectorSignature], [VectorSecret]);
            Assert.Equal(WebhookRejection.SignatureMismatch, result.Rejection);
        }
    }

    [Fact]
    public void Verify_EveryOneCharacterMutationOfSignature_Rejected()
    {
        var verifier = VerifierAt(VectorTime);
        for (var i = 0; i < VectorSignature.Length; i++)
        {
            foreach (var replacement in "0123456789abcdefA")
            {
                if (replacement == VectorSignature[i])
                {
                    continue;
                }

                var mutated = VectorSignature[..i] + replacement + VectorSignature[(i + 1)..];
                Assert.False(Verify(verifier, VectorBody, VectorTimestamp, mutated, VectorSecret).IsValid, mutated);
            }
        }
    }

    [Fact]
    public void Verify_MutatedTimestampWithOldSignature_Rejected()
    {
        var result = Verify(VerifierAt(VectorTime), VectorBody, "2020-05-01T07:00:01Z", VectorSignature, VectorSecret);

        Assert.Equal(WebhookRejection.SignatureMismatch, result.Rejection);
    }

    [Fact]
    public void Verify_WrongSecret_Rejected() =>
        Assert.Equal(WebhookRejection.SignatureMismatch, Verify(VerifierAt(VectorTime), VectorBody, VectorTimestamp, VectorSignature, "secret_124").Rejection);

    [Theory]
    [InlineData(-301, WebhookRejection.StaleTimestamp)]
    [InlineData(301, WebhookRejection.FutureTimestamp)]
    [InlineData(-299, WebhookRejection.None)]
    [InlineData(299, WebhookRejection.None)]
    public void Verify_TimestampWindow_FiveMinutesBothWays(int offsetSeconds, WebhookRejection expected)
    {
        // The verifier's clock is offset from the (validly signed) timestamp.
        var result = Verify(VerifierAt(VectorTime.AddSeconds(-offsetSeconds)), VectorBody, VectorTimestamp, VectorSignature, VectorSecret);

        Assert.Equal(expected, result.Rejection);
    }

    [Fact]
    public void Verify_ConfigurableWindow_Honoured()
    {
        var verifier = VerifierAt(VectorTime.AddSeconds(61), TimeSpan.FromMinutes(1));

        Assert.Equal(WebhookRejection.StaleTimestamp, Verify(verifier, VectorBody, VectorTimestamp, VectorSignature, VectorSecret).Rejection);
    }

    [Fact]
    public void Verify_RotationWithSeveralSecrets_AcceptsAny()
    {
        var verifier = VerifierAt(VectorTime);

        Assert.True(Verify(verifier, VectorBody, VectorTimestamp, VectorSignature, "new-secret", VectorSecret).IsValid);
        Assert.True(Verify(verifier, VectorBody, VectorTimestamp, VectorSignature, VectorSecret, "new-secret").IsValid);
        Assert.False(Verify(verifier, VectorBody, VectorTimestamp, VectorSignature, "new-secret", "other").IsValid);
    }

    [Theory]
    [InlineData(null, VectorSignature, WebhookRejection.MissingTimestamp)]
    [InlineData("", VectorSignature, WebhookRejection.MissingTimestamp)]
    [InlineData(VectorTimestamp, null, WebhookRejection.MissingSignature)]
    [InlineData(VectorTimestamp, " ", WebhookRejection.MissingSignature)]
    [InlineData("yesterday", VectorSignature, WebhookRejection.UnparsableTimestamp)]
    [InlineData("1588316400", VectorSignature, WebhookRejection.UnparsableTimestamp)]
    [InlineData("2020-05-01 07:00:00", VectorSignature, WebhookRejection.UnparsableTimestamp)]
    [InlineData("2020-13-45T07:00:00Z", VectorSignature, WebhookRejection.UnparsableTimestamp)]
    [InlineData(VectorTimestamp, "zz", WebhookRejection.MalformedSignature)]
    [InlineData(VectorTimestamp, "C27F187960625EBCCC33336030B071DAC1D54B1E98D9E27FE5452EE00C935FB0", WebhookRejection.MalformedSignature)]
    [InlineData(VectorTimestamp, "sha256=c27f187960625ebccc33336030b071dac1d54b1e98d9e27fe5452ee00c935fb0", WebhookRejection.MalformedSignature)]
    [InlineData(VectorTimestamp, VectorSignature + "," + VectorSignature, WebhookRejection.DuplicateHeader)]
    public void Verify_GarbageHeaders_RejectedWithReason(string? timestamp, string? signature, WebhookRejection expected)
    {
        var result = Verify(VerifierAt(VectorTime), VectorBody, timestamp, signature, VectorSecret);

        Assert.Equal(expected, result.Rejection);
        Assert.DoesNotContain(VectorSignature, result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_HeaderGivenTwice_Rejected()
    {
        var result = VerifierAt(VectorTime).Verify(Encoding.UTF8.GetBytes(VectorBody), [VectorTimestamp, VectorTimestamp], [VectorSignature], [VectorSecret]);

        Assert.Equal(WebhookRejection.DuplicateHeader, result.Rejection);
    }

    [Fact]
    public void Verify_NoSecretConfigured_Rejected() =>
        Assert.Equal(WebhookRejection.NoSecretConfigured, Verify(VerifierAt(VectorTime), VectorBody, VectorTimestamp, VectorSignature).Rejection);

    [Fact]
    public void SignThenVerify_RoundTripsOverRawBytes_IncludingNonAscii()
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = IndentWebhookSignature.FormatTimestamp(now);
        var body = Encoding.UTF8.GetBytes("""{"events":[{"event":"access/grant","reason":"café ✅"}]}""");
        var signature = IndentWebhookSignature.Sign("s3cret", timestamp, body);

        var result = VerifierAt(now).Verify(body, [timestamp], [signature], ["s3cret"]);

        Assert.True(result.IsValid);
        Assert.Matches("^[0-9a-f]{64}$", signature);
    }
}
